import { runMigrations } from '../../db/migrate.ts';

export interface MigrationsInput {
  /** Take over a legacy database (the CDK trigger sends an empty event: plain migrations only). */
  adoptLegacy?: boolean;
}

export interface MigrationsSummary {
  /** Tags applied by this invocation, in order. */
  applied: string[];
  /** Migrations known to this build. */
  total: number;
  /** Present when this invocation adopted (or finished adopting) a legacy database. */
  adoption?: {
    stepsRun: string[];
    stepsSkipped: number;
    adopted: Record<string, number>;
    quarantined: Record<string, number>;
    archivedTables: string[];
  };
}

/**
 * Applies pending migrations on the database at `url` (a direct connection, not RDS Proxy: the
 * advisory lock is a session lock). A legacy database makes it throw LegacyDatabaseError unless
 * the event asks for adoption. Adoption is restartable: a run cut off by the Lambda timeout
 * resumes where it stopped when invoked again.
 */
export async function runMigrationsFunction(url: string, input: MigrationsInput, deps: { log: (message: string) => void; folder?: string }): Promise<MigrationsSummary> {
  const result = await runMigrations(url, { adoptLegacy: input.adoptLegacy === true, log: deps.log, folder: deps.folder });
  return { applied: result.applied, total: result.total, ...(result.adoption ? { adoption: result.adoption } : {}) };
}
