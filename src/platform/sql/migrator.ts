import { Migrator, type Kysely, type Migration } from 'kysely';

/**
 * Runs the migrations not yet applied; each module prefixes its names (`links/0001_init`).
 * `schema` (PostgreSQL) is where Kysely keeps its bookkeeping tables: without it, Kysely takes a
 * `kysely_migration` table in any schema of the database for its own.
 */
export async function runMigrations(db: Kysely<unknown>, migrations: Record<string, Migration>, options: { schema?: string } = {}): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // Modules add migrations independently, so a new one may sort before one already applied.
    allowUnorderedMigrations: true,
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
