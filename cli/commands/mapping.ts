import type { Command } from 'commander';
import { eq } from 'drizzle-orm';
import { orm, type PgJsClient } from '../../db/client.ts';
import { correctionsFor, setCorrections, type Engagement } from '../../db/queries/mapping-corrections.ts';
import { engagements } from '../../db/schema/index.ts';
import { isUuid } from '../../workflows/contracts.ts';
import { parseCorrection, type Correction } from '../../functions/_shared/inventory/corrections.ts';
import { withDatabase } from '../context.ts';
import { UsageError } from '../exit.ts';

const HEADER_SET = /^[0-9a-f]{16}$/;

type Out = (line: string) => void;

/** The engagement and its client account, or a usage error naming the id. */
async function engagementOf(client: PgJsClient, engagementId: string): Promise<Engagement> {
  const [row] = await orm(client).select({ clientAccountId: engagements.clientAccountId }).from(engagements).where(eq(engagements.id, engagementId));
  if (!row) throw new UsageError(`engagement ${engagementId} does not exist`);
  return { clientAccountId: row.clientAccountId, engagementId };
}

/**
 * `flowlink mapping set --engagement <id> --header-set <id> "<column>=<field>[:unit]" …`: corrects
 * how the columns of a header set map, for the next drops of the engagement whose header set is the
 * same (the report prints the id). An import already planned keeps its mapping, also on replay.
 */
export async function mappingSet(client: PgJsClient, opts: { engagement: string; headerSet: string; by?: string }, specs: string[], out: Out = console.log): Promise<Correction[]> {
  if (!isUuid(opts.engagement)) throw new UsageError(`--engagement must be a uuid, got "${opts.engagement}"`);
  if (!HEADER_SET.test(opts.headerSet)) throw new UsageError(`--header-set must be the 16 hex digits the report prints, got "${opts.headerSet}"`);
  if (!specs.length) throw new UsageError('give at least one "<column>=<field>[:unit]"');
  const corrections = specs.map((spec) => {
    try {
      return parseCorrection(spec);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const scope = await engagementOf(client, opts.engagement);
  await setCorrections(orm(client), scope, opts.headerSet, corrections, opts.by ?? process.env.USER ?? null);
  for (const c of corrections) out(`header set ${opts.headerSet}: ${c.sourceField} → ${c.targetField}${c.unit ? ` [${c.unit}]` : ''}`);
  out('applies to the next drops of this engagement with the same header set; imports already planned keep their mapping');
  return corrections;
}

export function registerMapping(program: Command) {
  const mapping = program.command('mapping').description("the consultant's corrections of column mappings, per engagement and header set");
  mapping
    .command('set')
    .description('correct how columns map for the next drops with this header set (exit 0 set, 2 bad usage)')
    .requiredOption('--engagement <id>', 'the engagement (uuid)')
    .requiredOption('--header-set <id>', 'the header set id the report prints')
    .option('--by <name>', 'who sets it (default $USER)')
    .argument('<corrections...>', '"<column>=<field>[:unit]", e.g. "Mem=memory_gb:MB" or "Host=virtualization_host"')
    .action(async (specs: string[], opts: { engagement: string; headerSet: string; by?: string }) => {
      await withDatabase(({ sql }) => mappingSet(sql, opts, specs));
    });
  mapping
    .command('list')
    .description('the corrections of a header set in an engagement')
    .requiredOption('--engagement <id>', 'the engagement (uuid)')
    .requiredOption('--header-set <id>', 'the header set id the report prints')
    .action(async (opts: { engagement: string; headerSet: string }) => {
      if (!isUuid(opts.engagement)) throw new UsageError(`--engagement must be a uuid, got "${opts.engagement}"`);
      await withDatabase(async ({ sql }) => {
        const list = await correctionsFor(orm(sql), await engagementOf(sql, opts.engagement), opts.headerSet);
        if (!list.length) console.log(`header set ${opts.headerSet}: no corrections`);
        for (const c of list) console.log(`${c.sourceField} → ${c.targetField}${c.unit ? ` [${c.unit}]` : ''}`);
      });
    });
}
