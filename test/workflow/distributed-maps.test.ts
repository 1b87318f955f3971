import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LinkCountMismatchError, TransientError } from '../../workflows/step-errors.ts';
import { SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import type { ExecutionRecord } from '../../workflows/local/execution-store.ts';
import { importState, tenantSnapshot, useWorkflowWorld } from './harness.ts';

/**
 * The chunk Maps as AWS runs them (distributedMaps: a failed child surfaces at the Map only as
 * States.ExceedToleratedFailureThreshold, "The specified tolerated failure threshold was
 * exceeded", its own error staying in the child): the import, the report and the event still
 * carry the chunk's own error, and a chunk whose retries ran out leaves the Map Run to be redriven.
 */
const world = useWorkflowWorld({ chunkRows: 10 });
const SAMPLE = readFileSync(SAMPLE_FILE);

const reportedError = (record: ExecutionRecord) => {
  const publish = record.events.find((e) => e.type === 'StateEntered' && e.state === 'PublishFailed');
  return (publish?.input as { outcome?: { summary?: { error?: { name: string; message: string } } } } | undefined)?.outcome?.summary?.error;
};

describe('distributed Maps: the chunk error a rerun would repeat', () => {
  it('reaches MarkFailed, the import, the report and the event as the chunk raised it, and the execution fails under its name', async () => {
    const tenant = await world.tenant();
    const { record } = await world.drop(tenant, 'servers.csv', SAMPLE, {
      distributedMaps: true,
      afterStep: (state, input) => {
        if (state === 'LinkChunk' && (input as { chunk: number }).chunk === 1) throw new LinkCountMismatchError('chunk 1 of 3: 10 raw records in range, 9 linked');
      },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ name: 'LinkCountMismatchError' });
    const imported = (await importState(world.sql, tenant))!;
    expect(imported.status).toBe('failed');
    expect(imported.error_message).toContain('10 raw records in range, 9 linked');
    expect(imported.error_message).not.toContain('tolerated failure threshold');
    expect(reportedError(record)).toMatchObject({ name: 'LinkCountMismatchError', message: expect.stringContaining('9 linked') });
  });
});

describe('distributed Maps: a chunk whose retries ran out', () => {
  it('fails the execution at the Map, unexited and unrecorded, and a redrive reruns the chunks and completes the import', async () => {
    const tenant = await world.tenant();
    let failures = 0;
    const options = {
      distributedMaps: true,
      afterStep: (state: string, input: unknown) => {
        // more than the retrier's 4 attempts: the first run's retries run out
        if (state === 'DiscoverChunk' && (input as { chunk: number }).chunk === 2 && failures++ < 5) throw new TransientError('connection reset');
      },
    };
    const { started, record } = await world.drop(tenant, 'servers.csv', SAMPLE, options);
    expect(record.status).toBe('FAILED');
    expect(record.error, JSON.stringify(record.error)).toMatchObject({ name: 'States.ExceedToleratedFailureThreshold' });
    expect(record.events.some((e) => e.state === 'MarkFailed')).toBe(false);
    const entered = record.events.filter((e) => e.type === 'StateEntered' && e.index === undefined).map((e) => e.state);
    expect(entered.at(-1)).toBe('StartDiscovery');
    expect((await importState(world.sql, tenant))!.status).not.toBe('failed');

    const redriven = await world.workflow(options).redrive(started.executionName);
    expect(redriven.status, JSON.stringify(redriven.error)).toBe('SUCCEEDED');
    expect((await importState(world.sql, tenant))!.status).toBe('completed');
    expect((await tenantSnapshot(world.sql, tenant)).assets!.rows).toBe(25);
  });
});
