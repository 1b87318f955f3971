import { sql } from 'drizzle-orm';
import type { Tx } from '../client.ts';
import { masterFlows } from '../schema/index.ts';
import { LINK, MASTER_TABLE, type Catalog, type ChildTable } from './catalog.ts';

/** What the constraints in force prove about one table's rows whose master_flow_id is set. */
export interface TableProof {
  /** A foreign key master_flow_id → master(flow_id): no dangling link. */
  masterFk: string | null;
  /** A foreign key (parent column, master_flow_id) → parent(id, master_flow_id): no inconsistent link. */
  parentFk: string | null;
  /** That key also pairs client_account_id and engagement_id: same tenant as the parent. */
  parentFkCarriesTenant: boolean;
}

type ForeignKeyRow = {
  name: string;
  table_name: string;
  target: string;
  columns: string[];
  target_columns: string[];
};

/**
 * The foreign keys the database enforces right now, per table: validated (so existing rows were
 * checked) and with every one of their triggers enabled for ordinary sessions (ALTER TABLE …
 * DISABLE TRIGGER, or ENABLE REPLICA, stops enforcement). Only such a key replaces a scan.
 *
 * What no catalog can show: rows written while a session ran with session_replication_role =
 * replica (a restore with --disable-triggers, a logical replication subscriber). `deep` checks scan
 * regardless; docs/operations/integrity.md says when to run them.
 */
export async function readProofs(db: Tx, catalog: Catalog): Promise<Map<string, TableProof>> {
  const names = catalog.tables.map((t) => t.name);
  const fks = await db.execute<ForeignKeyRow>(sql`
    select k.conname as name, c.relname as table_name, t.relname as target,
      array(select a.attname::text from unnest(k.conkey) with ordinality u(attnum, i)
            join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.i) as columns,
      array(select a.attname::text from unnest(k.confkey) with ordinality u(attnum, i)
            join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.i) as target_columns
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid and c.relnamespace = 'public'::regnamespace
    join pg_class t on t.oid = k.confrelid and t.relnamespace = 'public'::regnamespace
    where k.contype = 'f' and k.convalidated and c.relname = any(${sql.param(names)}::text[])
      and not exists (select 1 from pg_trigger g where g.tgconstraint = k.oid and g.tgenabled not in ('O', 'A'))
    order by k.conname`);
  const proofs = new Map<string, TableProof>();
  for (const table of catalog.tables) {
    const own = fks.filter((f) => f.table_name === table.name);
    const masterFk = own.find((f) => f.target === MASTER_TABLE && pairs(f).size === 1 && pairs(f).get(LINK.masterFlowId) === masterFlows.flowId.name);
    const parentFks = table.parent ? own.filter((f) => isParentKey(f, table)) : [];
    const withTenant = parentFks.find((f) => carriesTenant(f, table));
    const parentFk = withTenant ?? parentFks[0];
    proofs.set(table.name, { masterFk: masterFk?.name ?? null, parentFk: parentFk?.name ?? null, parentFkCarriesTenant: Boolean(withTenant) });
  }
  return proofs;
}

/** referencing column → referenced column */
function pairs(fk: ForeignKeyRow): Map<string, string> {
  return new Map(fk.columns.map((c, i) => [c, fk.target_columns[i]!]));
}

/** Only these pairs: any other column in the key could make a row "consistent" for the wrong reason. */
function isParentKey(fk: ForeignKeyRow, table: ChildTable): boolean {
  const parent = table.parent!;
  if (fk.target !== parent.table) return false;
  const p = pairs(fk);
  const allowed = new Map([[parent.column, LINK.id], ...[LINK.masterFlowId, LINK.clientAccountId, LINK.engagementId].map((name) => [name, name] as const)]);
  return p.get(parent.column) === LINK.id && p.get(LINK.masterFlowId) === LINK.masterFlowId && [...p].every(([c, t]) => allowed.get(c) === t);
}

function carriesTenant(fk: ForeignKeyRow, table: ChildTable): boolean {
  const p = pairs(fk);
  return [LINK.clientAccountId, LINK.engagementId].every((c) => !table.columns.has(c) || p.get(c) === c);
}
