import { createServer } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLambdaDatabase } from '../../functions/_shared/database.ts';
import { useTestDatabase } from '../support/db.ts';
import { createTenant } from '../support/fixtures.ts';

const database = useTestDatabase();
const context = { getRemainingTimeInMillis: () => 30_000, awsRequestId: 'r', functionName: 'report-outcome' } as unknown as Context;

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  process.env.DATABASE_URL = database.current.url;
  process.env.S3_ENDPOINT = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await closeLambdaDatabase();
});

describe('the report-outcome Lambda handler', () => {
  it('turns an S3 it cannot reach into TransientError, which the Report states retry', async () => {
    const tenant = await createTenant(database.current.sql);
    const { handler } = await import('../../functions/report-outcome/handler.ts');
    const input = {
      status: 'failed',
      execution: 'import-x',
      state: { bucket: 'b', key: `imports/${tenant.clientAccountId}/${tenant.engagementId}/f.csv`, versionId: null, etag: 'e', size: 1, ...tenant, error: { Error: 'TenantError', Cause: 'nope' } },
    };
    await expect(handler(input as never, context)).rejects.toMatchObject({ name: 'TransientError', message: expect.stringMatching(/ECONNREFUSED/) });
  }, 60_000);

  it('refuses an input that is not a workflow state (parsed with zod before any read or write)', async () => {
    const { handler } = await import('../../functions/report-outcome/handler.ts');
    await expect(handler({ status: 'maybe', execution: 'x', state: {} } as never, context)).rejects.toThrow();
  });
});
