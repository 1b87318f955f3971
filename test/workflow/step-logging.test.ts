import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';

/**
 * Every step logs through the one shared Logger (functions/_shared/powertools.ts): service name,
 * the import's ids as keys, and one structured line per outcome.
 */
const database = useTestDatabase();
type Handler = (event: unknown, context: Context) => Promise<unknown>;
let createMasterFlow: Handler;
let tenant: Tenant;
const context = { functionName: 'flowlink-create-master-flow', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

async function logsOf(work: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  // warnings and errors go to stderr
  const spies = [process.stdout, process.stderr].map((stream) => vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(...String(chunk).split('\n')), true)));
  try {
    await work().catch(() => {});
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l)];
    } catch {
      return [];
    }
  });
}

beforeAll(async () => {
  vi.stubEnv('DATABASE_URL', database.current.url);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', '');
  vi.resetModules();
  ({ handler: createMasterFlow } = (await import('../../functions/create-master-flow/handler.ts')) as { handler: Handler });
  tenant = await createTenant(database.current.sql);
});
afterAll(async () => {
  const { closeLambdaDatabase } = await import('../../functions/_shared/database.ts');
  await closeLambdaDatabase();
  vi.unstubAllEnvs();
});

describe('step logging', () => {
  it('one line per outcome: step, outcome, duration, under the service name, with the import id as a key', async () => {
    const [imp] = await database.current.sql<{ id: string }[]>`
      insert into data_imports (client_account_id, engagement_id, import_name, filename, status, total_records)
      values (${tenant.clientAccountId}, ${tenant.engagementId}, 'f.csv', 'f.csv', 'stored', 0) returning id`;
    const logs = await logsOf(() => createMasterFlow({ ...tenant, dataImportId: imp!.id }, context));
    const outcomes = logs.filter((l) => l.outcome);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      level: 'INFO',
      service: 'flowlink',
      step: 'CreateMasterFlow',
      outcome: 'succeeded',
      durationMs: expect.any(Number),
      dataImportId: imp!.id,
      function_request_id: 'req-1',
    });
  });

  it('a failure is logged with its error, and the keys do not leak into the next invocation', async () => {
    const missing = randomUUID();
    const failed = await logsOf(() => createMasterFlow({ ...tenant, dataImportId: missing }, context));
    expect(failed.filter((l) => l.outcome)).toEqual([
      expect.objectContaining({ level: 'ERROR', step: 'CreateMasterFlow', outcome: 'failed', dataImportId: missing, error: expect.objectContaining({ name: expect.any(String) }) }),
    ]);
    const { logger } = await import('../../functions/_shared/powertools.ts');
    const after = await logsOf(async () => logger.info('between invocations'));
    expect(after).toHaveLength(1);
    expect(after[0]!.dataImportId).toBeUndefined();
  });
});
