import { operatorTransaction } from '../../db/access.ts';
import type { Command } from 'commander';
import { BackfillUndoError, planCounts, runBackfill, undoBackfill, type BackfillResult } from '../../db/backfill/index.ts';
import { isUuid } from '../../workflows/contracts.ts';
import { withDatabase } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';

interface BackfillCliOptions {
  apply?: boolean;
  json?: boolean;
  undo?: string;
  client?: string;
  windowImports: string;
  windowAssets: string;
}

/** "2h", "90m", "45s" or plain seconds → seconds. */
export function parseWindow(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(h|m|s)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must be a duration like 2h, 90m or 300s, got "${value}"`);
  return Number(m[1]) * { h: 3600, m: 60, s: 1 }[(m[2] ?? 's') as 'h' | 'm' | 's'];
}

export function registerBackfill(program: Command) {
  program
    .command('backfill')
    .description('link rows without a master flow (dry run by default; exit 0 all linked, 1 rows left unresolved, 2 bad usage)')
    .option('--apply', 'apply the plan in one transaction, recorded under a run id')
    .option('--json', 'machine-readable plan')
    .option('--undo <run-id>', 'restore what an applied run changed')
    .option('--client <id>', 'only rows of this client account')
    .option('--window-imports <duration>', 'proximity window for data imports without evidence', '2h')
    .option('--window-assets <duration>', 'proximity window for assets without evidence', '1h')
    .action(async (opts: BackfillCliOptions) => {
      if (opts.undo !== undefined) {
        if (opts.apply) throw new UsageError('--undo and --apply cannot be combined');
        if (!isUuid(opts.undo)) throw new UsageError(`--undo must be a run id (uuid), got "${opts.undo}"`);
        const undone = await withDatabase(({ sql }) => operatorTransaction(sql, (tx) => undoBackfill(tx, opts.undo!))).catch((err: unknown) => {
          throw err instanceof BackfillUndoError ? new UsageError(err.message) : err;
        });
        console.log(opts.json ? JSON.stringify({ runId: opts.undo, ...undone }) : `run ${opts.undo} undone: ${undone.restored} rows restored, ${undone.requarantined} back in quarantine`);
        return;
      }
      if (opts.client !== undefined && !isUuid(opts.client)) throw new UsageError(`--client must be a uuid, got "${opts.client}"`);
      const options = {
        apply: Boolean(opts.apply),
        clientAccountId: opts.client,
        windowImportsSeconds: parseWindow('--window-imports', opts.windowImports),
        windowAssetsSeconds: parseWindow('--window-assets', opts.windowAssets),
      };
      const result = await withDatabase(({ sql }) => operatorTransaction(sql, (tx) => runBackfill(tx, options)));
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatPlan(result));
      if (planCounts(result).unresolved > 0) process.exitCode = EXIT.checkFailed;
    });
}

const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;

/**
 * One line per row linked, raw records one line per data import (with their count), totals per
 * table, the unresolved rows (raw records per import) with their reason, and what happened.
 */
export function formatPlan(r: BackfillResult): string {
  const out = r.links.map(
    (l) => `link ${l.table} ${l.rowId} → ${l.flowId} ${l.evidence}${l.distanceSeconds === null ? '' : ` (${Math.round(l.distanceSeconds)} s)`}${l.quarantineId ? ' [released from quarantine]' : ''}`,
  );
  for (const l of r.recordLinks) out.push(`link raw_import_records of data import ${l.dataImportId} → ${l.flowId} import (${records(l.records)})`);
  out.push('', 'totals:');
  for (const [table, t] of Object.entries(r.totals)) out.push(`  ${table}: ${t.linked} linked, ${t.released} released from quarantine, ${t.unresolved} unresolved`);
  if (r.unresolved.length || r.unresolvedRecords.length) {
    out.push('', 'unresolved (not guessed):');
    for (const u of r.unresolved) out.push(`  ${u.table} ${u.rowId}: ${u.reason}`);
    for (const u of r.unresolvedRecords) out.push(`  raw_import_records of data import ${u.dataImportId} (${records(u.records)}): ${u.reason}`);
  }
  const { linked } = planCounts(r);
  out.push('', r.applied ? `applied as run ${r.runId} (undo: flowlink backfill --undo ${r.runId})` : linked ? `dry run: nothing written; --apply links these ${linked} rows` : 'nothing to link');
  return out.join('\n');
}
