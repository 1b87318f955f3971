import { createServer, type Server } from 'node:net';
import pg from 'pg';
import postgres from 'postgres';
import { sql as dsql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, isTransient, InvalidImportError, TenantError } from '../../workflows/step-errors.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { useTestDatabase } from '../support/db.ts';

/**
 * Classification by what the drivers really throw: each error here is produced by node-postgres or
 * postgres.js against a real server (or a dead port, a black hole, a proxy that drops), not built by hand.
 */
const database = useTestDatabase();
let proxy: FaultProxy;
let blackHole: Server;
let blackHoleUrl: string;
let deadUrl: string;
const held = new Set<import('node:net').Socket>();

beforeAll(async () => {
  proxy = await startFaultProxy(database.current.url);
  blackHole = createServer((socket) => {
    held.add(socket);
    socket.on('error', () => {});
  }); // accepts, never answers
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  const u = new URL(database.current.url);
  u.hostname = '127.0.0.1';
  u.port = String((blackHole.address() as { port: number }).port);
  blackHoleUrl = u.toString();
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  u.port = String((dead.address() as { port: number }).port);
  deadUrl = u.toString();
  await new Promise<void>((r) => dead.close(() => r())); // nothing listens there now
});
afterAll(async () => {
  await proxy?.close();
  for (const socket of held) socket.destroy();
  await new Promise<void>((r) => blackHole?.close(() => r()));
});

const failure = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
};

/** A real server error with the given SQLSTATE, raised through the driver. */
const raise = (code: string) => `do $$ begin raise exception 'raised %', '${code}' using errcode = '${code}'; end $$`;

const TRANSIENT_CODES = ['08000', '08003', '08006', '08001', '08004', '08007', '08P01', '40001', '40P01', '53300', '57P01', '57P02', '57P03', '55P03'];
const PERMANENT_CODES = ['23505', '23503', '23514', '22P02', '42P01', '42703', '57014', '53100', '25P02', '0A000', 'XX000', 'P0001', '40002', '55006'];

describe('classifyError: what the drivers throw', () => {
  it.each(TRANSIENT_CODES.map((c) => [c]))('SQLSTATE %s from the server is transient through pg, postgres.js and Drizzle', async (code) => {
    const client = new pg.Client({ connectionString: database.current.url });
    await client.connect();
    try {
      expect(isTransient(await failure(() => client.query(raise(code))))).toBe(true);
    } finally {
      await client.end();
    }
    expect(isTransient(await failure(() => database.current.sql.unsafe(raise(code))))).toBe(true);
    const wrapped = await failure(() => database.current.db.execute(dsql.raw(raise(code))));
    expect(isTransient(wrapped)).toBe(true);
    expect(classifyError(wrapped)).toMatchObject({ name: 'TransientError' });
  });

  it.each(PERMANENT_CODES.map((c) => [c]))('SQLSTATE %s is not transient (bad data, a bug, a statement timeout: another attempt meets it again)', async (code) => {
    const err = await failure(() => database.current.sql.unsafe(raise(code)));
    expect((err as { code?: string }).code).toBe(code);
    expect(isTransient(err)).toBe(false);
    expect(classifyError(err)).toBe(err);
  });

  it('every code of class 08 is transient, and no code outside the listed ones is', () => {
    const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    let checked = 0;
    for (const a of chars)
      for (const b of chars)
        for (const c of chars) {
          expect(isTransient({ code: `08${a}${b}${c}` })).toBe(true);
          const other = `${chars[(checked * 7) % 36]}${chars[(checked * 13) % 36]}${a}${b}${c}`;
          const listed = /^08|^40001$|^40P01$|^53300$|^57P0[123]$|^55P03$/.test(other);
          expect(isTransient({ code: other })).toBe(listed);
          checked++;
        }
    expect(checked).toBe(36 ** 3);
  });

  it('node-postgres: a connection dropped mid-query ("Connection terminated unexpectedly") and a terminated backend (57P01)', async () => {
    const client = new pg.Client({ connectionString: proxy.url });
    client.on('error', () => {});
    await client.connect();
    proxy.step = 'classify-pg';
    proxy.arm({ step: 'classify-pg', kind: 'mid-statement', match: /pg_sleep/ });
    const dropped = await failure(() => client.query('select pg_sleep(5)'));
    expect((dropped as Error).message).toMatch(/Connection terminated unexpectedly/);
    expect(isTransient(dropped)).toBe(true);

    const victim = new pg.Client({ connectionString: database.current.url });
    victim.on('error', () => {});
    await victim.connect();
    const {
      rows: [{ pid }],
    } = await victim.query('select pg_backend_pid() as pid');
    const sleeping = failure(() => victim.query('select pg_sleep(5)'));
    await new Promise((r) => setTimeout(r, 200));
    await database.current.sql`select pg_terminate_backend(${pid})`;
    const terminated = await sleeping;
    expect((terminated as { code?: string }).code).toBe('57P01');
    expect(isTransient(terminated)).toBe(true);
  });

  it('postgres.js: a dropped connection (CONNECTION_CLOSED), a connect timeout (CONNECT_TIMEOUT), a refused port (ECONNREFUSED)', async () => {
    const viaProxy = postgres(proxy.url, { max: 1, onnotice: () => {} });
    await viaProxy`select 1`;
    proxy.step = 'classify-postgres';
    proxy.arm({ step: 'classify-postgres', kind: 'mid-statement', match: /pg_sleep/ });
    const closed = await failure(() => viaProxy`select pg_sleep(5)`);
    expect((closed as { code?: string }).code).toBe('CONNECTION_CLOSED');
    expect(isTransient(closed)).toBe(true);
    await viaProxy.end({ timeout: 0 });

    const hole = postgres(blackHoleUrl, { max: 1, connect_timeout: 0.3, onnotice: () => {} });
    const timeout = await failure(() => hole`select 1`);
    expect((timeout as { code?: string }).code).toBe('CONNECT_TIMEOUT');
    expect(isTransient(timeout)).toBe(true);
    await hole.end({ timeout: 0 });

    const refused = postgres(deadUrl, { max: 1, onnotice: () => {} });
    const err = await failure(() => refused`select 1`);
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isTransient(err)).toBe(true);
    await refused.end({ timeout: 0 });
  });

  it('node-postgres: a connect timeout ("timeout expired", pool: "timeout exceeded…"), a refused port', async () => {
    const client = new pg.Client({ connectionString: blackHoleUrl, connectionTimeoutMillis: 300 });
    const expired = await failure(() => client.connect());
    expect(isTransient(expired)).toBe(true);
    const pool = new pg.Pool({ connectionString: blackHoleUrl, connectionTimeoutMillis: 300, max: 1 });
    const poolExpired = await failure(() => pool.query('select 1'));
    expect(isTransient(poolExpired)).toBe(true);
    await pool.end();
    const refused = await failure(() => new pg.Client({ connectionString: deadUrl }).connect());
    expect(isTransient(refused)).toBe(true);
  });

  it('lock_timeout (55P03) behind another transaction is transient: the attempt is retried, not failed', async () => {
    const sql = database.current.sql;
    await sql`create table if not exists classify_lock (id int primary key)`;
    await sql`insert into classify_lock values (1) on conflict do nothing`;
    const holder = postgres(database.current.url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const held = holder.begin(async (tx) => {
      await tx`select * from classify_lock where id = 1 for update`;
      await new Promise<void>((r) => {
        release = r;
      });
    });
    await new Promise((r) => setTimeout(r, 200));
    const err = await failure(() =>
      sql.begin(async (tx) => {
        await tx`set local lock_timeout = '100ms'`;
        await tx`select * from classify_lock where id = 1 for update`;
      }),
    );
    release();
    await held;
    await holder.end();
    expect((err as { code?: string }).code).toBe('55P03');
    expect(classifyError(err)).toMatchObject({ name: 'TransientError' });
  });

  it('never re-labels the step\'s own errors, programming errors, or AWS errors that say "do not retry"', () => {
    const own = [new InvalidImportError('bad'), new TenantError('other tenant')];
    for (const e of own) expect(classifyError(e)).toBe(e);
    expect(isTransient(new Error('Cannot use a pool after calling end on the pool'))).toBe(false);
    expect(isTransient(new Error('SASL: SCRAM-SERVER-FINAL-MESSAGE: server signature does not match'))).toBe(false);
    expect(isTransient(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }))).toBe(false);
    expect(isTransient(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error('unavailable'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { $retryable: { throttling: true } }))).toBe(true);
    expect(isTransient(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })]))).toBe(true);
  });
});
