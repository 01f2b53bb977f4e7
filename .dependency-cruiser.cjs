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
      from: { pathNot: ['^src/modules/', '^src/composition/', '\\.test\\.ts$'] },
      to: { path: '^src/modules/[^/]+/.+', pathNot: ['^src/modules/[^/]+/index\\.ts$'] },
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
