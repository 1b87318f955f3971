/**
 * The fence across roles. On AWS each function logs in as its own role, so the expired attempt a
 * retry must end can belong to another login than the retry's; pg_terminate_backend then fails
 * with 42501 (it needs the other role's membership or pg_signal_backend, which could end any
 * session). flowlink_fence ends exactly the expired attempts of the step's own name, whoever ran them.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, scope } from '../../db/access.ts';
import { connect, jsonb, type DbHandle } from '../../db/client.ts';
import { attemptName, setCurrentBounds, stepBounds } from '../../functions/_shared/step-bounds.ts';
import { finishLink, linkChunk } from '../../functions/link-records/link-records.ts';
import { useTestDatabase } from '../support/db.ts';
import { createMasterFlow, createTenant, type Tenant } from '../support/fixtures.ts';

const database = useTestDatabase();
const suffix = randomBytes(4).toString('hex');
/** Two logins of the app role, as two deployments' functions would be (roles are cluster-wide: unique names). */
const logins = [`flowlink_t_retry_${suffix}`, `flowlink_t_earlier_${suffix}`] as const;
const password = randomBytes(12).toString('hex');
const urlAs = (user: string) => {
  const url = new URL(database.current.url);
  url.username = user;
  url.password = password;
  return url.toString();
};
let retry: DbHandle;
let tenant: Tenant;
let input: { clientAccountId: string; engagementId: string; dataImportId: string; flowId: string; rowCount: number };

beforeAll(async () => {
  const { sql } = database.current;
  for (const login of logins) await sql.unsafe(`create role ${login} login password '${password}' in role ${ROLES.app}`);
  retry = connect(urlAs(logins[0]), { max: 1 });
  tenant = await createTenant(sql);
  const flowId = await createMasterFlow(sql, tenant);
  const [imp] = await sql<{ id: string }[]>`
    insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records)
    values (${tenant.clientAccountId}, ${tenant.engagementId}, 'f.csv', 'f.csv', 'stored', 1) returning id`;
  await sql`insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
    values (${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, 1, ${jsonb({ a: 1 })})`;
  input = { ...tenant, dataImportId: imp!.id, flowId, rowCount: 1 };
  setCurrentBounds(stepBounds(4_000));
});

afterAll(async () => {
  await retry?.close();
  const { sql } = database.current;
  for (const login of logins) await sql.unsafe(`drop role if exists ${login}`).catch(() => {});
});

/** A session of the other login, as an attempt named `name` with this deadline, holding the import's row lock. */
async function attempt(name: string, deadlineEpochSeconds: number) {
  const session = postgres(urlAs(logins[1]), { max: 1, onnotice: () => {} });
  let release!: () => void;
  const holding = session
    .begin(async (tx) => {
      await scope(tx, tenant, ROLES.app);
      await tx`select set_config('application_name', ${`${name}:${deadlineEpochSeconds}`}, true)`;
      await tx`select 1 from data_imports where id = ${input.dataImportId} for update`;
      await new Promise<void>((r) => {
        release = r;
      });
    })
    .catch((err) => err);
  await new Promise((r) => setTimeout(r, 150));
  const [{ pid }] = await database.current.sql<{ pid: number }[]>`select pid from pg_stat_activity where usename = ${logins[1]} and application_name like ${`${name}:%`}`;
  return { session, holding, pid, release: () => release() };
}

describe('the fence across roles', () => {
  it("a login of the app role may not end another login's session itself (42501): the reason for flowlink_fence", async () => {
    const other = await attempt(attemptName('FinishLink', `${input.dataImportId}-probe`), Math.floor(Date.now() / 1000) + 120);
    const refused = await retry.sql`select pg_terminate_backend(${other.pid})`.catch((err) => err);
    expect(refused).toMatchObject({ code: '42501' });
    other.release();
    await other.holding;
    await other.session.end();
  });

  it("ends the expired attempt of its own step run by another login, and no other step's expired attempt", async () => {
    await linkChunk(retry.sql, { ...input, fromRow: 1, chunkRows: 1, chunk: 0, chunks: 1 });
    const past = Math.floor(Date.now() / 1000) - 1;
    const otherStep = await attempt(attemptName('CreateMasterFlow', input.dataImportId), past);
    // the other step's attempt holds the lock: FinishLink's fence leaves it alone and waits lock_timeout
    expect(await finishLink(retry.sql, input).catch((err) => err)).toMatchObject({ code: '55P03' });
    otherStep.release();
    expect(await otherStep.holding).toBeUndefined();
    await otherStep.session.end();

    const abandoned = await attempt(attemptName('FinishLink', input.dataImportId), past);
    expect(await finishLink(retry.sql, input)).toEqual({ linkedCount: 1 });
    expect((await abandoned.holding)?.code).toMatch(/^(57P01|CONNECTION_CLOSED)$/);
    await abandoned.session.end({ timeout: 0 });
  });

  it('the fence function is for the app alone', async () => {
    const [rights] = await database.current.sql`
      select has_function_privilege(${ROLES.app}, 'flowlink_fence(text)', 'execute') as app,
             has_function_privilege(${ROLES.operator}, 'flowlink_fence(text)', 'execute') as operator,
             has_function_privilege(${ROLES.loader}, 'flowlink_fence(text)', 'execute') as loader`;
    // the loader is granted to the app, not the other way round
    expect(rights).toEqual({ app: true, operator: false, loader: false });
  });
});
