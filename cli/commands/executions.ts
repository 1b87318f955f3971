import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CHUNK_STATES } from '../../workflows/definition.ts';
import { ExecutionDoesNotExist, ExecutionStore, type ExecutionRecord } from '../../workflows/local/execution-store.ts';
import { localDir, openLocalEnvironment } from '../../workflows/local/pipeline.ts';
import { ExecutionNotRedrivable, LocalWorkflow } from '../../workflows/local/runner.ts';
import { UsageError } from '../exit.ts';
import { progressPrinter, reportExecution } from '../workflow-report.ts';

const store = () => new ExecutionStore(resolve(localDir(), 'executions'));

function failedState(record: ExecutionRecord): string {
  const attempt = record.events.slice(record.events.findLastIndex((e) => e.type === 'ExecutionRedriven') + 1);
  const failed = attempt.find((e) => e.type === 'StateFailed');
  if (!failed) return '';
  // inside a Map: the Map's name and the chunk (1-based), e.g. "StartDiscovery chunk 3"
  const map = Object.entries(CHUNK_STATES).find(([, task]) => task === failed.state)?.[0];
  return map && failed.index !== undefined ? `${map} chunk ${failed.index + 1}` : (failed.state ?? '');
}

function duration(record: ExecutionRecord): string {
  if (!record.stoppedAt) return '';
  return `${((Date.parse(record.stoppedAt) - Date.parse(record.startedAt)) / 1000).toFixed(1)} s`;
}

/**
 * `flowlink replay <execution> [--redrive]`: runs a local execution again with the same input (the
 * console's start-again: a new execution), or continues a failed one from its failed state (redrive).
 */
export async function replayCommand(name: string, opts: { redrive?: boolean }, out: (line: string) => void = console.log): Promise<number> {
  const executions = store();
  try {
    executions.get(name);
  } catch (err) {
    if (err instanceof ExecutionDoesNotExist) throw new UsageError(`${err.message} (see \`flowlink executions\`)`);
    throw err;
  }
  const env = await openLocalEnvironment(out);
  try {
    const workflow = new LocalWorkflow({ store: executions, onEvent: progressPrinter(out) });
    out(opts.redrive ? `redriving ${name}` : `replaying ${name} with the same input`);
    const record = await (opts.redrive ? workflow.redrive(name) : workflow.replay(name)).catch((err) => {
      throw err instanceof ExecutionNotRedrivable ? new UsageError(err.message) : err;
    });
    return await reportExecution(env.db, record, out);
  } finally {
    await env.close();
  }
}

export function registerExecutions(program: Command) {
  program
    .command('executions')
    .description('list the local executions of the import workflow (newest first)')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const records = store().list();
      if (opts.json) {
        console.log(
          JSON.stringify(
            records.map(({ events, ...r }) => ({ ...r, failedState: failedState({ ...r, events }) || null })),
            null,
            2,
          ),
        );
        return;
      }
      if (!records.length) {
        console.log('no local executions yet: `npm start` runs one');
        return;
      }
      for (const r of records) {
        const failure = r.error ? `  ${r.error.name} at ${failedState(r) || '?'}` : '';
        console.log(`${r.status.padEnd(9)} ${r.startedAt}  ${duration(r).padStart(7)}  ${r.name}  ${r.input.key.split('/').pop()}${r.redriveCount ? `  (redriven ${r.redriveCount}×)` : ''}${failure}`);
      }
    });

  program
    .command('replay')
    .description('run a local execution again with the same input (start-again), or --redrive a failed one from the failed state')
    .argument('<execution>', 'execution name (see `flowlink executions`)')
    .option('--redrive', 'continue the failed execution from the state that failed, with the input it had')
    .action(async (name: string, opts: { redrive?: boolean }) => {
      process.exitCode = await replayCommand(name, opts);
    });
}
