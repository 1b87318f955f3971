import type { ProgressEvent } from '../workflows/local/runner.ts';
import type { DbHandle } from '../db/client.ts';
import type { ExecutionRecord } from '../workflows/local/execution-store.ts';
import { summarize, type RunSummary } from '../workflows/local/pipeline.ts';
import { reportKey, type ReportSummary } from '../workflows/report.ts';
import type { ExecutionState } from '../workflows/contracts.ts';
import { CHUNK_STATES } from '../workflows/definition.ts';
import { EXIT } from './exit.ts';

type Out = (line: string) => void;

/** What a state's output says in one phrase (ids and counts only travel, so that is all there is). */
function stateResult(state: string, output: unknown): string {
  // the execution state, with what the Pass states (PlanChunks) and the report add
  const o = (output ?? {}) as Partial<ExecutionState> & { chunks?: { count?: number; size?: number }; outcome?: { detailType?: string; summary?: ReportSummary } };
  switch (state) {
    case 'StoreImport':
      return `${o.import?.rowCount ?? 0} rows stored${o.import?.reused ? ' (already stored: reused)' : ''}`;
    case 'CreateMasterFlow':
      return `flow ${o.flow?.flowId ?? '?'}${o.flow?.reused ? ' (reused)' : ''}`;
    case 'PlanChunks':
      return `${o.chunks?.count ?? 0} chunk(s) of up to ${(o.chunks?.size ?? 0).toLocaleString('en-US')} rows`;
    case 'LinkRecords':
      return `${o.linkedChunks?.chunks ?? 0} chunk(s) linked`;
    case 'FinishLink':
      return `${o.link?.linkedCount ?? 0} rows linked`;
    case 'PlanDiscovery':
      return `${o.plan?.fieldMappings ?? 0} field mappings, recognised as ${o.plan?.sourceSystem ?? '?'}`;
    case 'StartDiscovery':
      return `${o.discoveredChunks?.chunks ?? 0} chunk(s) discovered`;
    case 'FinishDiscovery':
      return `${o.discovery?.rows ?? 0} rows, ${o.discovery?.assets ?? 0} assets, phases: ${(o.discovery?.phasesCompleted ?? []).join(', ') || 'none'}`;
    case 'ReconcileInventory':
      return `${o.reconciledChunks?.chunks ?? 0} chunk(s) reconciled`;
    case 'FinishReconcile':
      return inventoryLine(o.inventory ?? {});
    case 'ValidateIntegrity':
      return `clean, health ${o.integrity?.healthScore ?? '?'}`;
    case 'TooManyChunks':
      return `${(o.import?.rowCount ?? 0).toLocaleString('en-US')} rows make more than 1,000 chunks of ${Number(o.chunkRows ?? 0).toLocaleString('en-US')} rows`;
    case 'MarkFailed':
      if (o.markFailed?.marked) return `import ${o.markFailed.dataImportId ?? '?'} marked failed`;
      return o.markFailed?.dataImportId
        ? `import ${o.markFailed.dataImportId} left as it was (completed: a failure never moves it back)`
        : 'nothing to mark (no import of this object for this tenant)';
    case 'ReportSucceeded':
    case 'ReportFailed':
      return `report s3://${o.outcome?.summary?.report.bucket ?? '?'}/${o.outcome?.summary?.report.key ?? '?'}`;
    case 'PublishSucceeded':
    case 'PublishFailed':
      return `event "${o.outcome?.detailType ?? '?'}" put on the default bus`;
    default:
      return '';
  }
}

/** A drop's effect on the engagement's inventory, in one phrase. */
export function inventoryLine(i: { new?: number; matched?: number; updated?: number; candidates?: number }): string {
  return `${i.new ?? 0} new, ${i.matched ?? 0} matched, ${i.updated ?? 0} updated, ${i.candidates ?? 0} candidate match(es)`;
}

/** The Map state a chunk Task belongs to, by the Task's name. */
const MAP_OF_CHUNK: Record<string, string> = Object.fromEntries(Object.entries(CHUNK_STATES).map(([map, task]) => [task, map]));

/** States that do no work of their own worth a line. */
const QUIET = new Set(['ChunkSettings', 'ChunkLimit', 'CheckChunks', 'CheckLinked', 'LinkedAll', 'CheckDiscovered', 'DiscoveredAll', 'Done']);

/**
 * One line per chunk as it ends (`StartDiscovery chunk 7/20 ✓ 50,000 rows  812 ms`), in the order
 * the chunks end; a failed chunk says which rows.
 */
function chunkLine(e: ProgressEvent): string | null {
  const map = MAP_OF_CHUNK[e.state ?? ''];
  if (!map || e.index === undefined) return null;
  const o = (e.output ?? {}) as { chunks?: number; rows?: number; assets?: number };
  const took = e.durationMs === undefined ? '' : `  ${e.durationMs} ms`;
  if (e.type === 'StateExited') {
    const assets = o.assets === undefined ? '' : `, ${o.assets.toLocaleString('en-US')} assets`;
    return `    ${map} chunk ${e.index + 1}/${o.chunks ?? '?'} ✓ ${(o.rows ?? 0).toLocaleString('en-US')} rows${assets}${took}`;
  }
  if (e.type === 'StateFailed') return `    ${map} chunk ${e.index + 1} ✗ ${e.error}: ${String(e.cause ?? '')}${took}`;
  if (e.type === 'StateRetried') return `    ${map} chunk ${e.index + 1} ↻ retry ${e.attempt ?? ''}`;
  return '';
}

/** Prints each state as it starts and ends, with its duration and rows, and each chunk of a Map as it ends. */
export function progressPrinter(out: Out = console.log) {
  // a caught failure exits its state too: its ✗ line stands, no ✓ follows (a retry clears it)
  const failing = new Set<string>();
  return (e: ProgressEvent) => {
    const chunk = chunkLine(e);
    if (chunk !== null) {
      if (chunk) out(chunk);
      return;
    }
    if (QUIET.has(e.state ?? '')) return;
    const name = (e.state ?? '').padEnd(18);
    const took = e.durationMs === undefined ? '' : `${String(e.durationMs).padStart(6)} ms  `;
    if (e.type === 'StateEntered' && e.state !== 'Failed') out(`  ▶ ${name}`);
    else if (e.type === 'StateExited') {
      if (!failing.delete(e.state ?? '')) out(`  ✓ ${name}${took}${stateResult(e.state ?? '', e.output)}`);
    } else if (e.type === 'StateFailed' && e.state !== 'Failed') {
      failing.add(e.state ?? '');
      out(`  ✗ ${name}${took}${e.error}: ${String(e.cause ?? '')}`);
    } else if (e.type === 'StateRetried') {
      failing.delete(e.state ?? '');
      out(`  ↻ ${name}retry ${e.attempt ?? ''}`);
    }
  };
}

/** The end-of-run summary: import, flow, rows, discovery, integrity verdict. */
export function printSummary(s: RunSummary, out: Out = console.log) {
  const verdict = s.integrity
    ? s.integrity.ok
      ? `clean (health score ${s.integrity.healthScore})`
      : 'violations'
    : s.error?.name === 'IntegrityViolationError'
      ? 'VIOLATIONS (see the error)'
      : 'not run';
  out('');
  out(`execution       ${s.execution}: ${s.status}${s.error ? ` (${s.error.name})` : ''}`);
  out(`data import     ${s.dataImportId ?? '-'}${s.importStatus ? ` (${s.importStatus})` : ''}`);
  out(`flow_id         ${s.flowId ?? '-'}${s.flowStatus ? ` (${s.flowStatus})` : ''}`);
  out(`rows            ${s.rowsStored} stored, ${s.rowsLinked} linked, ${s.rowsRejected} rejected, ${s.fieldWarnings} field warning(s)`);
  out(`discovery flow  ${s.discoveryFlowId ?? '-'}`);
  const types = Object.entries(s.assetsByType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  out(`assets          ${s.assetsDiscovered} discovered${types ? ` (${types})` : ''}, ${s.fieldMappings} field mappings${s.sourceSystem ? `, recognised as ${s.sourceSystem}` : ''}`);
  out(`integrity       ${verdict}`);
  out(`inventory       ${s.inventory ? `${inventoryLine(s.inventory)} (flowlink inventory lists the engagement's items)` : 'not reconciled'}`);
  if (s.errorMessage) out(`error           ${s.errorMessage}`);
  if (s.sampleAssets.length) {
    out('');
    out(assetTable(s.sampleAssets));
    if (s.assetsDiscovered > s.sampleAssets.length) out(`… and ${s.assetsDiscovered - s.sampleAssets.length} more (table assets, discovery_flow_id ${s.discoveryFlowId})`);
  }
}

/** The first discovered assets as a fixed-width table. */
function assetTable(assets: RunSummary['sampleAssets']): string {
  const fmt = (v: number | null) => (v === null ? '' : String(Math.round(v * 10) / 10));
  const header = ['row', 'hostname', 'type', 'ip address', 'operating system', 'cores', 'memory GB', 'storage GB', 'environment'];
  // name and version: a migration decision differs between "Windows Server 2012 R2" and "2022"
  const os = (a: RunSummary['sampleAssets'][number]) => [a.operatingSystem, a.osVersion].filter(Boolean).join(' ');
  const rows = assets.map((a) => [String(a.rowNumber), a.hostname ?? '', a.assetType ?? '', a.ipAddress ?? '', os(a), fmt(a.cpuCores), fmt(a.memoryGb), fmt(a.storageGb), a.environment ?? '']);
  const widths = header.map((h, i) => Math.min(h === 'operating system' ? 44 : 28, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Where the execution's outcome report is, or why it is not there: the Report state's output, else
 * its last error (a report that could not be written does not change the outcome).
 */
export function reportLocation(record: ExecutionRecord): { written: boolean; bucket: string; key: string; error: string | null } {
  const key = reportKey(record.input);
  const attempt = record.events.slice(record.events.findLastIndex((e) => e.type === 'ExecutionRedriven' || e.type === 'ExecutionStarted') + 1);
  const exited = attempt.findLast((e) => e.type === 'StateExited' && (e.state === 'ReportSucceeded' || e.state === 'ReportFailed'));
  const failed = attempt.findLast((e) => e.type === 'StateFailed' && (e.state === 'ReportSucceeded' || e.state === 'ReportFailed'));
  return { written: Boolean(exited), bucket: record.input.bucket, key, error: exited || !failed ? null : `${failed.error}: ${String(failed.cause ?? '')}` };
}

/**
 * Prints what an execution left in the database; the command's exit code: 0 when it succeeded with
 * every row accepted and read, 3 when it completed with rejected rows or field warnings, 1 when it failed.
 */
export async function reportExecution(db: DbHandle, record: ExecutionRecord, out: Out = console.log): Promise<number> {
  if (record.status === 'RUNNING') {
    // the same object version dropped by another process at the same time: that run reports it
    out('');
    out(`execution       ${record.name}: running in another process (the same file content, dropped there first)`);
    out(`report          \`flowlink report ${record.name}\` prints its outcome once it ends`);
    return EXIT.ok;
  }
  const summary = await summarize(db, record);
  printSummary(summary, out);
  const report = reportLocation(record);
  out('');
  if (report.written) out(`report          s3://${report.bucket}/${report.key}  (\`flowlink report ${record.name}\` prints it)`);
  else out(`report          not written${report.error ? ` (${report.error})` : ''}; \`flowlink replay ${record.name}\` writes it`);
  if (record.status !== 'SUCCEEDED') return EXIT.checkFailed;
  if (summary.importStatus === 'completed_with_errors') {
    out(`                the errors file (and the rejected rows, if any) are beside the report: \`flowlink report ${record.name}\` names them`);
    return EXIT.withErrors;
  }
  return EXIT.ok;
}
