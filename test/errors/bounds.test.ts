import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { closeLambdaDatabase, lambdaDatabase, resolveDatabaseUrl } from '../../functions/_shared/database.ts';
import { classifyError } from '../../workflows/step-errors.ts';
import { attemptName, setCurrentBounds, stepBounds } from '../../functions/_shared/step-bounds.ts';
import { finishLink, linkChunk } from '../../functions/link-records/link-records.ts';
import { useTestDatabase } from '../support/db.ts';
import { createMasterFlow, createTenant } from '../support/fixtures.ts';
import { jsonb } from '../../db/client.ts';

const database = useTestDatabase();
afterAll(() => closeLambdaDatabase());

describe('lambdaDatabase: a failed open is not cached', () => {
  it('a Secrets Manager throttle at cold start fails that invocation only; the next one connects', async () => {
    let calls = 0;
    const secrets = {
      send: async () => {
        if (calls++ === 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $retryable: { throttling: true } });
        const url = new URL(database.current.url);
        return { SecretString: JSON.stringify({ username: url.username || 'postgres', password: url.password || 'x', host: url.hostname, port: url.port, dbname: url.pathname.slice(1) }) };
      },
    };
    const resolve = () => resolveDatabaseUrl({ DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:db', DB_SSL: 'false' }, secrets as never);
    await closeLambdaDatabase();
    const first = await lambdaDatabase(resolve).catch((err) => err);
    expect(classifyError(first)).toMatchObject({ name: 'TransientError' });
    const second = await lambdaDatabase(resolve);
    const [row] = await second.sql`select 1 as ok`;
    expect(row).toEqual({ ok: 1 });
    expect(await lambdaDatabase(resolve)).toBe(second); // a good connection is kept
    expect(calls).toBe(2);
  });
});

describe('step bounds', () => {
  it('nest: lock_timeout < statement_timeout < deadline < budget, idle-in-transaction below the deadline', () => {
    for (const budget of [3_000, 8_000, 60_000, 300_000, 900_000]) {
      const b = stepBounds(budget);
      expect(b.lockTimeoutMs).toBeLessThan(b.statementTimeoutMs);
      expect(b.statementTimeoutMs).toBeLessThan(b.deadlineMs);
      expect(b.idleInTransactionMs).toBeLessThan(b.deadlineMs);
      expect(b.deadlineMs).toBeLessThan(b.budgetMs);
    }
  });

  it('a retry does not queue behind its own earlier attempt: a session of an attempt past its deadline holding the import is terminated; one within its deadline is waited for at most lock_timeout (55P03, retried)', async () => {
    const sql = database.current.sql;
    const tenant = await createTenant(sql);
    const flowId = await createMasterFlow(sql, tenant);
    const [imp] = await sql<{ id: string }[]>`
      insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records)
      values (${tenant.clientAccountId}, ${tenant.engagementId}, 'f.csv', 'f.csv', 'stored', 1) returning id`;
    await sql`insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
      values (${imp!.id}, ${tenant.clientAccountId}, ${tenant.engagementId}, 1, ${jsonb({ a: 1 })})`;
    const input = { ...tenant, dataImportId: imp!.id, flowId, rowCount: 1 };
    setCurrentBounds(stepBounds(4_000));

    /** An earlier attempt's session: it took the import's row lock and its client went away. */
    const earlier = async (deadlineEpochSeconds: number) => {
      const session = postgres(database.current.url, { max: 1, onnotice: () => {} });
      let release!: () => void;
      const holding = session
        .begin(async (tx) => {
          await tx`select set_config('application_name', ${`${attemptName('FinishLink', imp!.id)}:${deadlineEpochSeconds}`}, true)`;
          await tx`select 1 from data_imports where id = ${imp!.id} for update`;
          await new Promise<void>((r) => {
            release = r;
          });
        })
        .catch((err) => err);
      await new Promise((r) => setTimeout(r, 150));
      return { session, holding, release: () => release() };
    };

    // the chunk is linked; FinishLink is the attempt that an earlier FinishLink may block
    await linkChunk(sql, { ...input, fromRow: 1, chunkRows: 1, chunk: 0, chunks: 1 });
    const live = await earlier(Math.floor(Date.now() / 1000) + 120);
    const waited = await finishLink(sql, input).catch((err) => err);
    expect(waited).toMatchObject({ code: '55P03' });
    expect(classifyError(waited)).toMatchObject({ name: 'TransientError' });
    live.release();
    expect(await live.holding).toBeUndefined();
    await live.session.end();

    const abandoned = await earlier(Math.floor(Date.now() / 1000) - 1);
    expect(await finishLink(sql, input)).toEqual({ linkedCount: 1 });
    // terminated by the fence (postgres.js reports the server closing it as CONNECTION_CLOSED)
    expect((await abandoned.holding)?.code).toMatch(/^(57P01|CONNECTION_CLOSED)$/);
    await abandoned.session.end({ timeout: 0 });
  });
});
