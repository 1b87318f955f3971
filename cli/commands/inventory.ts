import type { Command } from 'commander';
import { CandidateDecidedError, decideCandidate } from '../../db/inventory/candidates.ts';
import { readInventory, type InventoryItemView } from '../../db/inventory/read.ts';
import { orm } from '../../db/client.ts';
import { NotFoundError, TenantError } from '../../workflows/step-errors.ts';
import { resolveLocalTenant } from '../../workflows/local/tenant.ts';
import { reconcileBacklog } from '../../functions/reconcile-inventory/backlog.ts';
import { withDatabase } from '../context.ts';
import { inventoryLine } from '../workflow-report.ts';
import { UsageError } from '../exit.ts';

interface TenantOptions {
  client?: string;
  engagement?: string;
  json?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The engagement asked for, by id or slug; both are required (an inventory is one engagement's). */
async function tenantOf(sql: Parameters<typeof resolveLocalTenant>[0], opts: TenantOptions) {
  if (!opts.client || !opts.engagement) throw new UsageError('--client <id|slug> and --engagement <id|slug> are required');
  return resolveLocalTenant(sql, opts).catch((err) => {
    throw err instanceof TenantError ? new UsageError(err.message) : err;
  });
}

const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? (v.length ? v.join(' ') : '-') : String(v));

/** One line per item: its reconciled values, then where each was seen (file#row). */
export function inventoryTable(items: InventoryItemView[]): string {
  const head = ['hostname', 'fqdn', 'ip', 'os', 'cpu', 'mem GB', 'disk GB', 'type', 'env', 'sources'];
  const rows = items.map((i) => [
    cell(i.hostname),
    cell(i.fqdn),
    cell(i.ipAddresses),
    cell([i.operatingSystem, i.osVersion].filter(Boolean).join(' ') || null),
    cell(i.cpuCores),
    cell(i.memoryGb),
    cell(i.storageGb),
    cell(i.assetType),
    cell(i.environment),
    i.sources.map((s) => `${s.filename}#${s.rowNumber ?? '?'}`).join(', ') +
      (Object.entries(i.seenInLatest).some(([, seen]) => !seen)
        ? `  (not in the latest ${Object.entries(i.seenInLatest)
            .filter(([, seen]) => !seen)
            .map(([s]) => s)
            .join(', ')} drop)`
        : ''),
  ]);
  const widths = head.map((h, c) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[c]!.length))));
  const line = (r: string[]) => r.map((v, c) => (c === r.length - 1 ? v : v.slice(0, widths[c]).padEnd(widths[c]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export function registerInventory(program: Command) {
  const inventory = program
    .command('inventory')
    .description("the engagement's inventory: one item per machine across every drop, with where each was seen")
    .option('--client <id|slug>', 'client account')
    .option('--engagement <id|slug>', 'engagement of that client')
    .option('--json', '{ items: [...], candidates: [...] }')
    .action(async (opts: TenantOptions) => {
      await withDatabase(async ({ sql }) => {
        const tenant = await tenantOf(sql, opts);
        const view = await readInventory(orm(sql), tenant);
        if (opts.json) {
          console.log(JSON.stringify(view, null, 2));
          return;
        }
        console.log(`${tenant.clientName} / ${tenant.engagementName}: ${view.items.length} item(s), ${view.candidates.length} candidate match(es) pending`);
        if (view.items.length) console.log(`\n${inventoryTable(view.items)}`);
        if (view.candidates.length) console.log('\nflowlink inventory candidates lists the candidate matches; confirm <id> merges, reject <id> keeps apart');
      });
    });

  inventory
    .command('candidates')
    .description('possible matches reconciliation would not make on its own (an IP address alone, a name whose identifiers disagree)')
    .option('--client <id|slug>', 'client account')
    .option('--engagement <id|slug>', 'engagement of that client')
    .option('--all', 'decided ones too')
    .option('--json', 'machine-readable')
    .action(async (opts: TenantOptions & { all?: boolean }) => {
      await withDatabase(async ({ sql }) => {
        const tenant = await tenantOf(sql, { ...inventory.opts(), ...opts });
        const { candidates } = await readInventory(orm(sql), tenant, { allCandidates: opts.all });
        if (opts.json ?? inventory.opts().json) {
          console.log(JSON.stringify(candidates, null, 2));
          return;
        }
        if (!candidates.length) console.log('no candidate matches');
        for (const c of candidates) {
          console.log(`${c.id}  ${c.status.padEnd(9)} ${cell(c.inventoryItemHostname)} (${c.inventoryItemId}) ~ ${cell(c.candidateItemHostname)} (${c.candidateItemId}): ${c.reason}`);
        }
      });
    });

  inventory
    .command('reconcile')
    .description('reconcile the drops whose discovery completed but were never reconciled (older than the inventory, adopted), oldest first')
    .option('--client <id|slug>', 'client account')
    .option('--engagement <id|slug>', 'engagement of that client')
    .option('--json', 'machine-readable')
    .action(async (opts: TenantOptions) => {
      await withDatabase(async ({ sql }) => {
        const tenant = await tenantOf(sql, { ...inventory.opts(), ...opts });
        const done = await reconcileBacklog(sql, tenant);
        if (opts.json ?? inventory.opts().json) {
          console.log(JSON.stringify(done, null, 2));
          return;
        }
        if (!done.length) console.log('every completed drop of the engagement is reconciled');
        for (const d of done) console.log(`${d.dataImportId} ${d.filename}: ${inventoryLine(d.inventory)}`);
      });
    });

  for (const [name, status, what] of [
    ['confirm', 'confirmed', 'merge the two items into one'],
    ['reject', 'rejected', 'keep the two items apart, and never propose them again'],
  ] as const) {
    inventory
      .command(name)
      .description(`${what}`)
      .argument('<candidate-id>')
      .option('--client <id|slug>', 'client account')
      .option('--engagement <id|slug>', 'engagement of that client')
      .option('--json', 'machine-readable')
      .action(async (id: string, opts: TenantOptions) => {
        if (!UUID.test(id)) throw new UsageError(`the candidate id must be a uuid, got "${id}"`);
        await withDatabase(async ({ sql }) => {
          const tenant = await tenantOf(sql, { ...inventory.opts(), ...opts });
          const decision = await decideCandidate(sql, tenant, id, status, process.env.USER ?? null).catch((err: unknown) => {
            throw err instanceof NotFoundError || err instanceof CandidateDecidedError ? new UsageError(err.message) : err;
          });
          console.log(
            (opts.json ?? inventory.opts().json)
              ? JSON.stringify(decision)
              : status === 'confirmed'
                ? `candidate ${id} confirmed: item ${decision.candidateItemId} merged into ${decision.inventoryItemId}`
                : `candidate ${id} rejected: items ${decision.inventoryItemId} and ${decision.candidateItemId} stay apart`,
          );
        });
      });
  }
}
