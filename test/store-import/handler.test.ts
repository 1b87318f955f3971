import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';
import { startLocalS3, type LocalS3 } from './s3-server.ts';

const database = useTestDatabase();
const saved = { DATABASE_URL: process.env.DATABASE_URL, S3_ENDPOINT: process.env.S3_ENDPOINT };
let s3: LocalS3;
let tenant: Tenant;
let handler: (event: unknown, context: Context) => Promise<unknown>;
const context = { functionName: 'store-import', awsRequestId: 'test' } as Context;

beforeAll(async () => {
  s3 = await startLocalS3();
  tenant = await createTenant(database.current.sql);
  // the handler reads both when it first connects, as a Lambda reads its environment
  process.env.DATABASE_URL = database.current.url;
  process.env.S3_ENDPOINT = s3.endpoint;
  handler = (await import('../../functions/store-import/handler.ts')).handler as never;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  await s3?.stop().catch(() => {});
});

describe('StoreImport handler', () => {
  it('parses the state input, stores the import and returns ids and counts only', async () => {
    const key = `imports/${tenant.clientAccountId}/${tenant.engagementId}/h.csv`;
    const { etag } = await s3.put(key, 'host,ip\nweb01,10.0.0.1\n');
    const event = { bucket: s3.bucket, key, versionId: null, etag, ...tenant };
    const out = await handler(event, context);
    expect(out).toEqual({ dataImportId: expect.any(String), rowCount: 1, rejectedCount: 0, reused: false });
    expect(await handler(event, context)).toEqual({ ...(out as object), reused: true });
  });

  it('publishes RowsStored for a new import when it runs inside Lambda, and nothing for a reused one', async () => {
    const key = `imports/${tenant.clientAccountId}/${tenant.engagementId}/metrics.csv`;
    const { etag } = await s3.put(key, 'host,ip\nweb01,10.0.0.1\nweb02,10.0.0.2\n');
    const event = { bucket: s3.bucket, key, versionId: null, etag, ...tenant };
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'flowlink-store-import';
    process.stdout.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await handler(event, context);
      await handler(event, context);
    } finally {
      process.stdout.write = write;
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
    const emf = lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ RowsStored: 2, service: 'flowlink' });
    expect((emf[0]!._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace).toBe('Flowlink');
  });

  it('records a refused file as failed on its one connection, and throws InvalidImportError', async () => {
    const key = `imports/${tenant.clientAccountId}/${tenant.engagementId}/bad.csv`;
    const { etag } = await s3.put(key, 'host,ip\nweb01,"10.0.0.1\n');
    await expect(handler({ bucket: s3.bucket, key, versionId: null, etag, ...tenant }, context)).rejects.toMatchObject({
      name: 'InvalidImportError',
      message: expect.stringMatching(/^bad\.csv: line 2: quote opened here is never closed/),
    });
    const [imp] = await database.current.sql`select status, error_details->>'line' as line from data_imports where s3_key = ${key}`;
    expect(imp).toEqual({ status: 'failed', line: '2' });
  });

  it('refuses malformed input before touching anything', async () => {
    await expect(handler({ bucket: s3.bucket, key: 'k', clientAccountId: 'not-a-uuid', engagementId: tenant.engagementId }, context)).rejects.toMatchObject({ name: 'ParseError' });
  });

  it('names an unreachable S3 a TransientError, for the workflow to retry', async () => {
    await s3.stop();
    const event = { bucket: s3.bucket, key: `imports/${tenant.clientAccountId}/${tenant.engagementId}/gone.csv`, ...tenant };
    await expect(handler(event, context)).rejects.toMatchObject({ name: 'TransientError' });
  });
});
