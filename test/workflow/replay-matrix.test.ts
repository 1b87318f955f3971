import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import type { Tenant } from '../support/fixtures.ts';
import { tenantRows, useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();
const SAMPLE = readFileSync(SAMPLE_FILE);
const CORRECTED = Buffer.from(SAMPLE.toString('utf8').replace('web-prd-01', 'web-prd-01-fixed'));

/**
 * What can happen to the object after its import completed. s3rver keeps no versions, so "a new
 * version" is what an unversioned bucket does with a new upload under the same key: the content
 * named by the old execution (its ETag) is replaced. That is the `overwritten` case.
 */
const CHANGES: Record<string, (tenant: Tenant, key: string) => Promise<void>> = {
  'overwritten by a corrected file (also: a new version on an unversioned bucket), which completes too': async (tenant) => {
    const { record } = await world.drop(tenant, 'servers.csv', CORRECTED);
    expect(record.status).toBe('SUCCEEDED');
  },
  deleted: async (_tenant, key) => {
    await world.s3.client.send(new DeleteObjectCommand({ Bucket: world.s3.bucket, Key: key }));
  },
  're-uploaded with the same bytes (the trigger finds its execution and starts nothing)': async (tenant) => {
    const { started } = await world.drop(tenant, 'servers.csv', SAMPLE);
    expect(started.alreadyStarted).toBe(true);
  },
  'left as it was': async () => {},
};

describe('replaying a completed execution after its object changed leaves every row, status and timestamp as it was', () => {
  for (const [change, apply] of Object.entries(CHANGES)) {
    it(`object ${change}: replay (start again) is a no-op success; redrive is refused; nothing moves`, async () => {
      const tenant = await world.tenant();
      const { record, started } = await world.drop(tenant, 'servers.csv', SAMPLE);
      expect(record.status).toBe('SUCCEEDED');
      await apply(tenant, started.input.key);
      const before = await tenantRows(world.sql, tenant);
      expect(before.data_imports!.some((r) => JSON.parse(r as string).status === 'completed')).toBe(true);

      const replay = await world.workflow().replay(record.name);
      expect(replay.status, JSON.stringify(replay.error)).toBe('SUCCEEDED');
      expect(replay.output).toMatchObject({ import: { reused: true }, flow: { reused: true } });
      expect(await tenantRows(world.sql, tenant)).toEqual(before);

      await expect(world.workflow().redrive(record.name)).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
      await expect(world.workflow().redrive(replay.name)).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
      expect(await tenantRows(world.sql, tenant)).toEqual(before);
    });
  }

  it('a replay that fails after completion (a violation found on the way) ends with its named error and moves nothing back; its redrive fails the same way', async () => {
    const tenant = await world.tenant();
    const { record } = await world.drop(tenant, 'servers.csv', SAMPLE);
    expect(record.status).toBe('SUCCEEDED');
    const before = await tenantRows(world.sql, tenant);

    const failing = world.workflow({
      tasks: {
        ValidateIntegrity: async () => {
          throw Object.assign(new Error('integrity checks failed (simulated on replay)'), { name: 'IntegrityViolationError' });
        },
      },
    });
    const replay = await failing.replay(record.name);
    expect(replay.status).toBe('FAILED');
    expect(replay.error?.name).toBe('IntegrityViolationError');
    // the completed import keeps its report, and no "Import Failed" is published (ReportKeptError)
    expect(
      replay.events
        .filter((e) => e.type === 'StateEntered')
        .map((e) => e.state)
        .slice(-3),
    ).toEqual(['MarkFailed', 'ReportFailed', 'Failed']);
    expect(await tenantRows(world.sql, tenant)).toEqual(before);

    // as on AWS: the execution stopped in its Fail state, so a redrive re-enters Failed and fails again
    const redriven = await world.workflow().redrive(replay.name);
    expect(redriven.status).toBe('FAILED');
    expect(redriven.error?.name).toBe('IntegrityViolationError');
    const rerun = redriven.events.slice(redriven.events.findIndex((e) => e.type === 'ExecutionRedriven'));
    expect(rerun.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual(['Failed']);
    expect(await tenantRows(world.sql, tenant)).toEqual(before);
  });
});
