/**
 * Drizzle over postgres.js prepares its statements as the tagged templates did, unless the client
 * was opened with `prepare: false` (the Lambdas behind the RDS Proxy). A statement without
 * parameters too: postgres.js sends those by the simple protocol, planned every time, unless told
 * otherwise (the integrity check, mostly such statements, took 25 % longer). The connection's own
 * `pg_prepared_statements` shows which statements it prepared.
 */
import { count, eq } from 'drizzle-orm';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, orm, type DbHandle } from '../db/client.ts';
import { runIntegrityCheck } from '../db/integrity/index.ts';
import { masterFlows } from '../db/schema/index.ts';
import { useTestDatabase } from './support/db.ts';
import { withDatabase } from './support/urls.ts';

const database = useTestDatabase();
let handle: DbHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

/** The statements the one connection of `h` has prepared. */
async function prepared(h: DbHandle): Promise<string[]> {
  const rows = await h.sql<{ statement: string }[]>`select statement from pg_prepared_statements`.simple();
  return rows.map((r) => r.statement);
}

const open = (prepare: boolean) => connect(withDatabase(inject('pgServerUrl'), database.current.name), { max: 1, prepare });

describe("Drizzle statements and the client's prepare option", () => {
  it('prepares a statement without parameters, in a transaction too, when the client prepares', async () => {
    handle = open(true);
    await orm(handle.sql).select({ n: count() }).from(masterFlows);
    await handle.sql.begin((tx) => orm(tx).select({ flowId: masterFlows.flowId }).from(masterFlows).limit(1));
    const statements = await prepared(handle);
    expect(statements.some((s) => /^select count\(\*\) from "crewai_flow_state_extensions"/.test(s))).toBe(true);
    expect(statements.some((s) => /^select "flow_id" from "crewai_flow_state_extensions" limit/.test(s))).toBe(true);
  });

  it('prepares one with parameters', async () => {
    handle = open(true);
    await orm(handle.sql).select({ n: count() }).from(masterFlows).where(eq(masterFlows.flowType, 'discovery'));
    expect((await prepared(handle)).some((s) => /where "crewai_flow_state_extensions"\."flow_type" = \$1/.test(s))).toBe(true);
  });

  it('prepares the integrity check once: a second flow, client or engagement adds no statement', async () => {
    handle = open(true);
    await runIntegrityCheck(handle.sql, { flowId: randomUUID() });
    await runIntegrityCheck(handle.sql, { clientAccountId: randomUUID(), engagementId: randomUUID() });
    await runIntegrityCheck(handle.sql, {});
    const first = await prepared(handle);
    expect(first.some((s) => /from pg_class c/.test(s) && !s.includes('$1'))).toBe(true);
    await runIntegrityCheck(handle.sql, { flowId: randomUUID() });
    await runIntegrityCheck(handle.sql, { clientAccountId: randomUUID(), engagementId: randomUUID() });
    await runIntegrityCheck(handle.sql, {});
    expect((await prepared(handle)).sort()).toEqual(first.sort());
  });

  it('prepares nothing when the client was opened with prepare: false', async () => {
    handle = open(false);
    await orm(handle.sql).select({ n: count() }).from(masterFlows);
    await orm(handle.sql).select({ n: count() }).from(masterFlows).where(eq(masterFlows.flowType, 'discovery'));
    expect(await prepared(handle)).toEqual([]);
  });
});
