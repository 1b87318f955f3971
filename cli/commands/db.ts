import type { Command } from 'commander';
import { describeUrl, openDatabase } from '../../db/database.ts';
import { migrationStatus, runMigrations } from '../../db/migrate.ts';
import { withDatabase } from '../context.ts';
import { EXIT } from '../exit.ts';

export function registerDb(program: Command) {
  const db = program.command('db').description('database schema: migrations and their status');

  db.command('migrate')
    .description('apply pending migrations (safe to run twice; serialised by an advisory lock)')
    .action(async () => {
      const target = await openDatabase();
      try {
        const result = await runMigrations(target.url, { log: (m) => console.log(m) });
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
