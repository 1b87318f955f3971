import type { Command } from 'commander';
import { retractImport, type RetractResult } from '../../db/inventory/retract.ts';
import { NotFoundError } from '../../workflows/step-errors.ts';
import { withDatabase } from '../context.ts';
import { UsageError } from '../exit.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function formatRetract(r: RetractResult): string {
  const lines = [
    `data import ${r.dataImportId} (${r.filename}) of client ${r.clientAccountId} / engagement ${r.engagementId}`,
    `  master flow      ${r.masterFlowId ?? '- (none: the import alone goes)'}`,
    `  raw records      ${r.removed.rawRecords}`,
    `  assets           ${r.removed.assets}`,
    `  field mappings   ${r.removed.fieldMappings}`,
    `  inventory items  ${r.removed.inventoryItems} removed (no observation left), ${r.rederivedItems} re-derived from the other imports`,
    '',
    r.applied ? 'retracted.' : 'dry run: nothing changed; --apply retracts it',
  ];
  return lines.join('\n');
}

export function registerRetract(program: Command) {
  program
    .command('retract')
    .description("remove an import and what it added: its master flow, raw records, assets, mappings, and its share of the engagement's inventory (dry run by default)")
    .argument('<data-import-id>')
    .option('--apply', 'retract it, in one transaction')
    .option('--json', 'machine-readable')
    .action(async (id: string, opts: { apply?: boolean; json?: boolean }) => {
      if (!UUID.test(id)) throw new UsageError(`the data import id must be a uuid, got "${id}"`);
      const result = await withDatabase(({ sql }) => retractImport(sql, id, { apply: Boolean(opts.apply) })).catch((err: unknown) => {
        throw err instanceof NotFoundError ? new UsageError(err.message) : err;
      });
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatRetract(result));
    });
}
