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
      from: { pathNot: ['^src/modules/', '\\.test\\.ts$'] },
      to: { path: '^src/modules/[^/]+/.+', pathNot: ['^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'platform-is-product-agnostic',
      severity: 'error',
      from: { path: '^src/(platform|lib|shared)/' },
      to: { path: '^src/(modules|http|worker|app|composition-root|runtime)' },
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
