export type { SqlDatabase, SqlDialectName } from './sql.port.js';
export { tablesOf } from './sql.port.js';
export { BulkInsert } from './bulk-insert.js';
export { GroupCommit, type GroupCommitOptions } from './group-commit.js';
export { identityColumn } from './identity-column.js';
export { param, Precompiled } from './precompiled.js';
export { deferredWrites, type DeferredKind } from './deferred-writes.js';
