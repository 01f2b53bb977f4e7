/**
 * Import boundaries (run by `npm run lint`):
 * - no cycles;
 * - only adapter folders (named after their technology) import database, cache or broker clients;
 * - a module is entered through its index.ts, never through its internals;
 * - platform code (ports and adapters) never imports product modules.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'clients-only-in-adapters',
      comment: 'Database, cache and broker clients are imported only by adapters in folders named after them.',
      severity: 'error',
      from: { pathNot: '/(sqlite|postgres|redis|rabbitmq)/' },
      to: { path: 'node_modules/(better-sqlite3|pg|ioredis|amqplib)/' },
    },
    {
      name: 'modules-through-index',
      comment: 'Another module is used through its index.ts only.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'outside-enters-modules-through-index',
      severity: 'error',
      from: { pathNot: ['^src/modules/', '^src/composition/', '^src/gateway/', '\\.test\\.ts$'] },
      to: { path: '^src/modules/[^/]+/.+', pathNot: ['^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'gateway-only-token-verifier',
      comment: 'A gateway process loads no product module: of accounts it needs the token verifier alone.',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^src/(modules|composition/(adapters|api|worker|context))', pathNot: ['^src/modules/accounts/token-verifier\\.ts$'] },
    },
    {
      name: 'composition-enters-modules-through-index-or-definition',
      comment: 'The composition code builds a module from its definition (<name>.module.ts) and uses its index.ts, nothing else.',
      severity: 'error',
      from: { path: '^src/composition/' },
      to: { path: '^src/modules/[^/]+/.+', pathNot: ['^src/modules/[^/]+/index\\.ts$', '^src/modules/[^/]+/[^/]+\\.module\\.ts$'] },
    },
    {
      name: 'module-definitions-only-for-composition',
      comment: 'A module definition is assembled by the composition code; other code uses the module through its index.ts.',
      severity: 'error',
      from: { pathNot: ['^src/composition/', '\\.test\\.ts$'] },
      to: { path: '^src/modules/[^/]+/[^/]+\\.module\\.ts$' },
    },
    {
      name: 'adapters-only-in-composition',
      comment: 'Adapter folders (named after their technology) are chosen by the composition code alone; everything else uses the port. The backup command copies the embedded SQLite files themselves: no port covers that.',
      severity: 'error',
      from: { pathNot: ['^src/composition/', '^src/platform/', '^src/operations/backup\\.ts$', '\\.test\\.ts$', '/testing/'] },
      to: { path: '^src/platform/[^/]+/(redis|postgres|sqlite|rabbitmq|replicas)/' },
    },
    {
      name: 'web-shares-only-contracts',
      comment: 'The web app runs in browsers: of the server it imports the shared contracts (src/contracts/) only.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: ['^src/contracts/'] },
    },
    {
      name: 'contracts-are-plain',
      comment: 'The shared contracts are read by the server and the browser: they import nothing of either.',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: { pathNot: ['^src/contracts/', '^node_modules/@sinclair/typebox'] },
    },
    {
      name: 'platform-is-product-agnostic',
      severity: 'error',
      from: { path: '^src/(platform|lib|shared)/' },
      to: { path: '^src/(modules|http|worker|app|composition|runtime)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '\\.test\\.ts$|/testing/' },
  },
};
