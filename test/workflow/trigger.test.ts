import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createdObjects, decodeS3Key, s3EventSchema } from '../../functions/trigger/s3-event.ts';
import { executionName, parseImportKey, startImport, type SfnLike } from '../../functions/trigger/trigger.ts';
import { encodeS3EventKey } from '../../workflows/local/s3.ts';
import { createTenant } from '../support/fixtures.ts';
import { useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();

/** Counts the rows of every table, to prove that a refusal wrote nothing anywhere. */
async function rowCounts() {
  const tables = ['client_accounts', 'engagements', 'data_imports', 'raw_import_records', 'crewai_flow_state_extensions', 'discovery_flows'];
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = (await world.sql<{ n: number }[]>`select count(*)::int as n from ${world.sql(t)}`)[0]!.n;
  return counts;
}

const recordingSfn = () => {
  const calls: { name: string; input: string }[] = [];
  const sfn: SfnLike = {
    startExecution: async (p) => {
      calls.push(p);
      return { executionArn: `arn:local:${p.name}` };
    },
  };
  return { sfn, calls };
};

const eventBridge = (key: string, object: Record<string, unknown> = {}) => ({
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '111122223333',
  time: '2026-11-12T00:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:s3:::drops'],
  detail: {
    version: '0',
    bucket: { name: 'drops' },
    object: { key, size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '617f08299329d189', ...object },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '111122223333',
    'source-ip-address': '1.2.3.4',
    reason: 'PutObject',
  },
});

describe('the trigger', () => {
  it('reads the EventBridge "Object Created" shape and the S3 notification shape, decoding the key', async () => {
    const tenant = await world.tenant();
    const raw = `imports/${tenant.clientAccountId}/${tenant.engagementId}/Server List (EU) + 1.csv`;
    const [fromBridge] = createdObjects(s3EventSchema.parse(eventBridge(encodeS3EventKey(raw), { 'version-id': 'v1' })));
    expect(fromBridge).toMatchObject({ bucket: 'drops', key: raw, versionId: 'v1', etag: 'b1946ac92492d2347c6235b4d2611184', size: 5 });

    const fromS3rver = await world.upload(tenant, 'Server List (EU) + 1.csv', 'hostname\nweb01\n');
    expect(fromS3rver).toMatchObject({ bucket: world.s3.bucket, key: raw, versionId: null });
    expect(fromS3rver!.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(decodeS3Key('a+b%2Bc')).toBe('a b+c');
  });

  it('names executions deterministically: same object version, same name; another version, another name; ≤ 80 allowed characters', () => {
    const ref = { bucket: 'drops', key: 'imports/a/b/c.csv', versionId: null, etag: 'e1', sequencer: 's1' };
    const name = executionName(ref);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(executionName({ ...ref })).toBe(name);
    expect(executionName({ ...ref, etag: 'e2' })).not.toBe(name);
    expect(executionName({ ...ref, versionId: 'v1' })).not.toBe(executionName({ ...ref, versionId: 'v2' }));
    expect(executionName({ ...ref, key: 'imports/a/b/d.csv' })).not.toBe(name);
    expect(executionName({ ...ref, etag: null })).toMatch(/^import-/);
  });

  const refusals: [string, (t: { clientAccountId: string; engagementId: string }, foreign: string) => string, RegExp, string][] = [
    ['a key outside imports/', (t) => `uploads/${t.clientAccountId}/${t.engagementId}/x.csv`, /expected imports\/<client_account_id>\/<engagement_id>\/<file name>/, 'InvalidImportError'],
    ['a key without an engagement', (t) => `imports/${t.clientAccountId}/x.csv`, /expected imports\//, 'InvalidImportError'],
    ['a client that is not an id', (t) => `imports/acme/${t.engagementId}/x.csv`, /"acme" is not a client account id/, 'InvalidImportError'],
    ['an unknown client', (t) => `imports/00000000-0000-4000-8000-000000000000/${t.engagementId}/x.csv`, /client account 00000000-0000-4000-8000-000000000000 does not exist/, 'TenantError'],
    ['an unknown engagement', (t) => `imports/${t.clientAccountId}/00000000-0000-4000-8000-000000000000/x.csv`, /engagement 00000000-0000-4000-8000-000000000000 does not exist/, 'TenantError'],
    ['an engagement of another client', (t, foreign) => `imports/${t.clientAccountId}/${foreign}/x.csv`, /belongs to another client/, 'TenantError'],
  ];
  for (const [what, key, message, name] of refusals) {
    it(`refuses ${what} with a clear message, starts nothing and writes nothing`, async () => {
      const tenant = await world.tenant();
      const other = await createTenant(world.sql);
      const before = await rowCounts();
      const { sfn, calls } = recordingSfn();
      const ref = { bucket: 'drops', key: key(tenant, other.engagementId), versionId: null, etag: 'e1', size: 1, sequencer: null };
      await expect(startImport({ sql: world.sql, sfn, stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:m' }, ref)).rejects.toMatchObject({ name, message: expect.stringMatching(message) });
      expect(calls).toEqual([]);
      expect(await rowCounts()).toEqual(before);
    });
  }

  it('parses the key into the tenant and the file name', () => {
    expect(parseImportKey('imports/8DA4017F-E467-4504-898A-20A55B18820A/0285884c-2c00-4b80-91cb-7a805ed4baf5/servers.csv')).toEqual({
      clientAccountId: '8da4017f-e467-4504-898a-20a55b18820a',
      engagementId: '0285884c-2c00-4b80-91cb-7a805ed4baf5',
      fileName: 'servers.csv',
    });
  });

  it('treats ExecutionAlreadyExists as done', async () => {
    const tenant = await world.tenant();
    const sfn: SfnLike = {
      startExecution: async () => {
        throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' });
      },
    };
    const ref = { bucket: 'drops', key: `imports/${tenant.clientAccountId}/${tenant.engagementId}/x.csv`, versionId: 'v1', etag: 'e', size: 1, sequencer: null };
    const out = await startImport({ sql: world.sql, sfn, stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:import' }, ref);
    expect(out).toMatchObject({ alreadyStarted: true, executionArn: `arn:aws:states:eu-west-1:123456789012:execution:import:${out.executionName}` });
  });

  it('two triggers for the same object at the same time start one execution and store one import', async () => {
    const tenant = await world.tenant();
    const ref = await world.upload(tenant, 'twice.csv', 'hostname,ip\nweb01,10.0.0.1\nweb02,10.0.0.2\n');
    const workflow = world.workflow();
    const deps = { sql: world.sql, sfn: workflow, stateMachineArn: workflow.stateMachineArn };
    const [a, b] = await Promise.all([startImport(deps, ref), startImport(deps, { ...ref })]);

    expect(a.executionName).toBe(b.executionName);
    expect([a.alreadyStarted, b.alreadyStarted].sort()).toEqual([false, true]);
    expect((await workflow.wait(a.executionName)).status).toBe('SUCCEEDED');
    expect(world.store.list().filter((r) => r.input.key === ref.key)).toHaveLength(1);
    const [counts] = await world.sql<{ imports: number; raw: number; flows: number }[]>`
      select (select count(*)::int from data_imports where client_account_id = ${tenant.clientAccountId}) as imports,
             (select count(*)::int from raw_import_records where client_account_id = ${tenant.clientAccountId}) as raw,
             (select count(*)::int from crewai_flow_state_extensions where client_account_id = ${tenant.clientAccountId}) as flows`;
    expect(counts).toEqual({ imports: 1, raw: 2, flows: 1 });
  });

  it('runs as a Lambda handler: refuses a bad key without throwing (a retry cannot fix it), and rejects what is no S3 event', async () => {
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:import';
    process.env.AWS_REGION = 'eu-west-1';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const { handler } = await import('../../functions/trigger/handler.ts');
    const context = { getRemainingTimeInMillis: () => 30_000, awsRequestId: 'r', functionName: 'trigger' } as unknown as Context;
    const refused = await handler(eventBridge('uploads/nowhere.csv') as never, context);
    expect(refused).toEqual({ started: [], refused: [expect.stringMatching(/refused s3 key "uploads\/nowhere.csv"/)] });
    await expect(handler({ hello: 'world' } as never, context)).rejects.toThrow();
  });
});
