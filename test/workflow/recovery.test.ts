import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { executionName, startImport } from '../../functions/trigger/trigger.ts';
import { LocalEventBus } from '../../workflows/local/events.ts';
import { SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import { reportKey } from '../../workflows/report.ts';
import type { Tenant } from '../support/fixtures.ts';
import { importState, tenantSnapshot, useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();
const SAMPLE = readFileSync(SAMPLE_FILE);

const events = () => new LocalEventBus(join(world.dir, 'events.ndjson')).read();

async function readReportText(key: string): Promise<string> {
  const out = await world.s3.client.send(new GetObjectCommand({ Bucket: world.s3.bucket, Key: key }));
  return out.Body!.transformToString();
}

/** Makes the tenant's master flows look `age` old, as they are when an execution is redriven that long after. */
async function ageFlows(tenant: Tenant, age: string) {
  await world.sql`update crewai_flow_state_extensions
    set created_at = now() - ${age}::interval, updated_at = now() - ${age}::interval
    where client_account_id = ${tenant.clientAccountId} and engagement_id = ${tenant.engagementId}`;
}

describe('recovery paths give the verdict of the data, not of the clock', () => {
  it.each(['redrive', 'replay'] as const)('an execution that timed out inside a discovery chunk, recovered by %s 3 hours later, succeeds (its own flow is not "stuck running")', async (how) => {
    const clean = await world.tenant();
    await world.drop(clean, 'servers.csv', SAMPLE);
    const tenant = await world.tenant();
    let stopped = false;
    const { record } = await world.drop(tenant, 'servers.csv', SAMPLE, {
      afterStep: (state, _input, _output, execution) => {
        if (state !== 'DiscoverChunk' || stopped) return;
        stopped = true;
        execution.stop('TIMED_OUT');
      },
    });
    expect(record.status).toBe('TIMED_OUT');
    await ageFlows(tenant, '3 hours');

    const again = how === 'redrive' ? await world.workflow().redrive(record.name) : await world.workflow().replay(record.name);
    expect(again.status, JSON.stringify(again.error)).toBe('SUCCEEDED');
    expect((await importState(world.sql, tenant))!.status).toBe('completed');
    expect(await tenantSnapshot(world.sql, tenant)).toEqual(await tenantSnapshot(world.sql, clean));
  });

  it('a failing replay of a completed import leaves its report and publishes no "Import Failed": a report never contradicts the database', async () => {
    const tenant = await world.tenant();
    const { record, started } = await world.drop(tenant, 'servers.csv', SAMPLE);
    expect(record.status).toBe('SUCCEEDED');
    const key = reportKey(started.input);
    const before = await readReportText(key);
    const dataImportId = (await importState(world.sql, tenant))!.id;
    const eventsBefore = events().filter((e) => (e.detail as { dataImportId?: string }).dataImportId === dataImportId);

    const replay = await world
      .workflow({
        afterStep: (state) => {
          if (state === 'CreateMasterFlow') throw Object.assign(new Error('canceling statement due to lock timeout'), { name: 'LockTimeoutError' });
        },
      })
      .replay(record.name);
    expect(replay.status).toBe('FAILED');
    expect(replay.error?.name).toBe('LockTimeoutError');
    expect((await importState(world.sql, tenant))!.status).toBe('completed');

    expect(await readReportText(key)).toBe(before);
    const eventsAfter = events().filter((e) => (e.detail as { dataImportId?: string }).dataImportId === dataImportId);
    expect(eventsAfter).toEqual(eventsBefore);
    expect(eventsAfter.map((e) => e['detail-type'])).toEqual(['Import Succeeded']);
  });
});

describe('trusted input that should not be', () => {
  it("an execution input naming tenant B for tenant A's key writes nothing for either; A's own import of that object then succeeds", async () => {
    const a = await world.tenant();
    const b = await world.tenant();
    const ref = await world.upload(a, 'shared.csv', SAMPLE);
    const workflow = world.workflow();
    const forged = { bucket: ref.bucket, key: ref.key, versionId: ref.versionId, etag: ref.etag, size: ref.size, ...b };
    const name = `${executionName(ref)}-forged`;
    await workflow.startExecution({ stateMachineArn: workflow.stateMachineArn, name, input: JSON.stringify(forged) });
    const record = await workflow.wait(name);
    expect(record.status).toBe('FAILED');
    expect(record.error?.name).toBe('TenantError');

    const rows = await world.sql`select client_account_id from data_imports where s3_key = ${ref.key}`;
    expect(rows).toEqual([]);
    // no report under B's prefix carries A's file, and no event went out for it
    const reportsOfB = await world.s3.client.send(new GetObjectCommand({ Bucket: world.s3.bucket, Key: reportKey({ ...forged }) })).then(
      () => 1,
      () => 0,
    );
    expect(reportsOfB).toBe(0);
    expect(events().filter((e) => (e.detail as { key?: string }).key === ref.key)).toEqual([]);

    const own = await startImport({ sql: world.sql, sfn: workflow, stateMachineArn: workflow.stateMachineArn }, ref);
    const ownRecord = await workflow.wait(own.executionName);
    expect(ownRecord.status, JSON.stringify(ownRecord.error)).toBe('SUCCEEDED');
    expect((await importState(world.sql, a))!.status).toBe('completed');
  });

  it("a key whose ids are written in upper case is imported for that tenant (normalised at the edge), not refused as another tenant's", async () => {
    const tenant = await world.tenant();
    const upper = { clientAccountId: tenant.clientAccountId.toUpperCase(), engagementId: tenant.engagementId.toUpperCase() };
    const ref = await world.upload(upper, 'upper.csv', SAMPLE);
    expect(ref.key).toContain(upper.clientAccountId);
    const workflow = world.workflow();
    const started = await startImport({ sql: world.sql, sfn: workflow, stateMachineArn: workflow.stateMachineArn }, ref);
    expect(started.input).toMatchObject(tenant);
    const record = await workflow.wait(started.executionName);
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    expect((await importState(world.sql, tenant))!).toMatchObject({ status: 'completed', raw: 25, linked: 25 });
  });

  it.each([{ chunkRows: 0 }, { chunkRows: 3_000_000_000 }, { chunkRows: 1.5 }, { chunkRows: null }, { mapConcurrency: 0 }, { mapConcurrency: 1000 }])(
    'an execution started by hand with %o fails through MarkFailed with a report that names the field',
    async (chunking) => {
      const tenant = await world.tenant();
      const ref = await world.upload(tenant, 'by-hand.csv', SAMPLE);
      const workflow = world.workflow({ validateInput: false });
      const input = { bucket: ref.bucket, key: ref.key, versionId: ref.versionId, etag: ref.etag, size: ref.size, ...tenant, ...chunking };
      const name = executionName(ref);
      await workflow.startExecution({ stateMachineArn: workflow.stateMachineArn, name, input: JSON.stringify(input) });
      const record = await workflow.wait(name);
      expect(record.status).toBe('FAILED');
      expect(record.error?.name).toBe('InvalidExecutionInputError');
      const field = Object.keys(chunking)[0]!;
      const state = (await importState(world.sql, tenant))!;
      expect(state.status).toBe('failed');
      expect(state.error_message).toContain(field);
      const report = JSON.parse(await readReportText(reportKey(input))) as { status: string; error: { name: string; message: string; advice: string } };
      expect(report).toMatchObject({ status: 'failed', error: { name: 'InvalidExecutionInputError' } });
      expect(report.error.message).toContain(field);
    },
  );
});

describe('where chunk settings enter, they are bounded', () => {
  it('the trigger refuses an environment outside the bounds, naming the variable', async () => {
    const { chunkingFromEnv } = await import('../../functions/trigger/trigger.ts');
    expect(() => chunkingFromEnv({ CHUNK_ROWS: '3000000000' })).toThrow(/CHUNK_ROWS/);
    expect(() => chunkingFromEnv({ MAP_CONCURRENCY: '0' })).toThrow(/MAP_CONCURRENCY/);
    expect(() => chunkingFromEnv({ MAP_CONCURRENCY: '5000' })).toThrow(/MAP_CONCURRENCY/);
    expect(chunkingFromEnv({ CHUNK_ROWS: '10000', MAP_CONCURRENCY: '4' })).toEqual({ chunkRows: 10000, mapConcurrency: 4 });
  });
});
