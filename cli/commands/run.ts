import { existsSync, statSync } from 'node:fs';
import { CHUNK_ROWS_MAX, MAP_CONCURRENCY_MAX } from '../../workflows/contracts.ts';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { describeUrl } from '../../db/database.ts';
import { InvalidImportError, TenantError } from '../../workflows/step-errors.ts';
import { ExecutionStore } from '../../workflows/local/execution-store.ts';
import { dropFile, localDir, MissingFileError, openLocalEnvironment, SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import { LocalWorkflow } from '../../workflows/local/runner.ts';
import { resolveLocalTenant } from '../../workflows/local/tenant.ts';
import { UsageError } from '../exit.ts';
import { progressPrinter, reportExecution } from '../workflow-report.ts';

export interface RunOptions {
  client?: string;
  engagement?: string;
  /** Raw records per chunk of the link and discovery Maps (default: the definition's, 50,000). */
  chunkRows?: number;
  /** Chunks each Map runs at once (default: the definition's, 4). */
  mapConcurrency?: number;
  /** More rejected rows than this share fails the import (default: the definition's, 10). */
  maxRejectedPercent?: number;
}

/** A percentage option (0–100), or a UsageError naming it. */
export function percent(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !(n >= 0 && n <= 100)) throw new UsageError(`${flag} must be a number from 0 to 100, not "${value}"`);
    return n;
  };
}

/** A positive integer option, or a UsageError naming it. */
export function positiveInt(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, not "${value}"`);
    if (n > max) throw new UsageError(`${flag} must be at most ${max}, not "${value}"`);
    return n;
  };
}

/**
 * `flowlink run [file]`: the main job, locally. Drops the file (default: the bundled sample) into
 * local S3 under the tenant's prefix, lets the trigger start the import workflow on the local Step
 * Functions, prints each state, then the summary. Exit 0 when every row was accepted and read, 3
 * when the import completed with rejected rows or field warnings, 1 when it failed, 2 bad usage.
 */
export async function runCommand(file: string | undefined, opts: RunOptions, out: (line: string) => void = console.log): Promise<number> {
  const path = resolve(file ?? SAMPLE_FILE);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${path}: no such file`);
  const env = await openLocalEnvironment(out);
  try {
    const tenant = await resolveLocalTenant(env.db.sql, opts).catch((err) => {
      throw err instanceof TenantError ? new UsageError(err.message) : err;
    });
    out(`flowlink run: ${path}`);
    out(`  tenant    ${tenant.clientName} (${tenant.clientAccountId}) / ${tenant.engagementName} (${tenant.engagementId})`);
    out(`  database  ${describeUrl(env.target.url)} (${env.target.source})`);
    out(`  s3        ${env.s3.endpoint} bucket ${env.s3.bucket}`);
    const workflow = new LocalWorkflow({ store: new ExecutionStore(resolve(localDir(), 'executions')), onEvent: progressPrinter(out) });
    if (opts.chunkRows || opts.mapConcurrency) {
      out(`  chunks    ${opts.chunkRows ? `${opts.chunkRows.toLocaleString('en-US')} rows` : 'default size'}, ${opts.mapConcurrency ?? 'default'} at once`);
    }
    if (opts.maxRejectedPercent !== undefined) out(`  threshold more than ${opts.maxRejectedPercent} % rejected rows fails the import`);
    const chunking = { chunkRows: opts.chunkRows, mapConcurrency: opts.mapConcurrency, maxRejectedRowsPercent: opts.maxRejectedPercent };
    const started = await dropFile(env, workflow, path, tenant, chunking).catch((err) => {
      throw err instanceof MissingFileError || err instanceof InvalidImportError || err instanceof TenantError ? new UsageError(err.message) : err;
    });
    out(`  execution ${started.executionName}${started.alreadyStarted ? ' (already existed for this object version: not started again)' : ''}`);
    const record = await workflow.wait(started.executionName);
    if (started.alreadyStarted) out(`  the same file content was dropped before; \`flowlink replay ${record.name}\` runs it again`);
    return await reportExecution(env.db, record, out);
  } finally {
    await env.close();
  }
}

export function registerRun(program: Command) {
  program
    .command('run')
    .description('drop an inventory file into the local pipeline (local S3 → trigger → the import workflow) and report; the default is a bundled sample')
    .argument('[file]', 'CSV, JSON, NDJSON or XLSX inventory file (default: workflows/samples/servers.csv)')
    .option('--client <id|slug>', 'client account (default: the demo client "demo", created on first use)')
    .option('--engagement <id|slug>', 'engagement of that client (default: its only engagement; "demo-migration" for the demo)')
    .option('--chunk-rows <n>', 'raw records per chunk of the link and discovery Maps (default 50000; at most 1,000 chunks a file)', positiveInt('--chunk-rows', CHUNK_ROWS_MAX))
    .option('--map-concurrency <n>', 'chunks each Map runs at once (default 4)', positiveInt('--map-concurrency', MAP_CONCURRENCY_MAX))
    .option('--max-rejected-percent <p>', 'more rejected rows than this share (0-100) fails the import after storing (default 10)', percent('--max-rejected-percent'))
    .addHelpText(
      'after',
      [
        '',
        'Exit codes:',
        '  0  imported, every row accepted and every value read (or the same file already running in another process)',
        '  3  imported with errors: some rows rejected or some values unreadable (within the threshold);',
        '     the errors file and the rejected rows file are beside the report (flowlink report <execution>)',
        '  1  the import failed (the report says why and what to do)',
        '  2  bad usage, or the file or tenant could not be used',
      ].join('\n'),
    )
    .action(async (file: string | undefined, opts: RunOptions) => {
      process.exitCode = await runCommand(file, opts);
    });
}
