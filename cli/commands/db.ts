import type { Command } from 'commander';
import { describeUrl, openDatabase } from '../../db/database.ts';
import { LegacyDatabaseError, migrationStatus, runMigrations } from '../../db/migrate.ts';
import { withDatabase } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';
import type { AdoptionSummary } from '../../db/adoption/index.ts';

export function registerDb(program: Command) {
  const db = program.command('db').description('database schema: migrations and their status');

  db.command('migrate')
    .description('apply pending migrations (safe to run twice; serialised by an advisory lock)')
    .option('--adopt-legacy', 'take over a database of the legacy platform: archive its tables, translate its keys, quarantine what cannot be kept live (restartable)')
    .action(async (opts: { adoptLegacy?: boolean }) => {
      const target = await openDatabase();
      try {
        const result = await runMigrations(target.url, { adoptLegacy: opts.adoptLegacy, log: (m) => console.log(m) }).catch((err: unknown) => {
          throw err instanceof LegacyDatabaseError ? new UsageError(err.message) : err;
        });
        if (result.adoption) printAdoption(result.adoption);
        console.log(`${describeUrl(target.url)}: ${result.applied.length} applied, ${result.total} in total, schema up to date`);
      } finally {
        await target.stop();
      }
    });

  db.command('status')
    .description('list migrations and whether each is applied (exit 1 when some are pending)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const states = await withDatabase(({ sql }) => migrationStatus(sql));
      const pending = states.filter((s) => !s.applied).length;
      if (opts.json) console.log(JSON.stringify({ pending, migrations: states }, null, 2));
      else {
        for (const s of states) console.log(`${s.applied ? 'applied' : 'pending'}  ${s.tag}`);
        console.log(pending ? `${pending} pending: run \`flowlink db migrate\`` : 'up to date');
      }
      if (pending) process.exitCode = EXIT.checkFailed;
    });
}

function printAdoption(a: AdoptionSummary) {
  console.log(`adoption: ${a.stepsRun.length} steps run, ${a.stepsSkipped} already done before`);
  for (const [table, n] of Object.entries(a.adopted)) console.log(`  ${table}: ${n} live${a.quarantined[table] ? `, ${a.quarantined[table]} quarantined` : ''}`);
  console.log(`  archived in legacy_archive: ${a.archivedTables.join(', ')}`);
  console.log('next: `flowlink backfill` (dry run) to link what adoption could not, then `flowlink backfill --apply`');
}
