import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonb } from '../../db/client.ts';
import type { Sql } from '../../db/client.ts';
import { linkChunk } from '../../functions/link-records/link-records.ts';
import { discoverChunk } from '../../functions/start-discovery/start-discovery.ts';
import { CHUNK_STATES, STEP_STATES, type StepState, type TaskState } from '../../workflows/definition.ts';
import type { RecordedEvent } from '../../workflows/local/execution-store.ts';
import { SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import type { Tenant } from '../support/fixtures.ts';
import { importState, tenantSnapshot, useWorkflowWorld, type TenantSnapshot } from './harness.ts';

const world = useWorkflowWorld();
const SAMPLE = readFileSync(SAMPLE_FILE);

class StepCrashError extends Error {
  override name = 'StepCrashError';
}

/** The top-level states of a run in order (Pass states included), as a redrive from a step enters them. */
const CHAIN = [
  'StoreImport',
  'CreateMasterFlow',
  'ChunkSettings',
  'ChunkLimit',
  'CheckChunks',
  'PlanChunks',
  'LinkRecords',
  'CheckLinked',
  'LinkedAll',
  'FinishLink',
  'PlanDiscovery',
  'StartDiscovery',
  'CheckDiscovered',
  'DiscoveredAll',
  'FinishDiscovery',
  'ReconcileInventory',
  'CheckReconciled',
  'ReconciledAll',
  'FinishReconcile',
  'ValidateIntegrity',
  'ReportSucceeded',
  'PublishSucceeded',
  'Done',
];

const topLevel = (events: RecordedEvent[]) => events.filter((e) => e.type === 'StateEntered' && e.index === undefined).map((e) => e.state);
const isMap = (step: StepState): step is keyof typeof CHUNK_STATES => step in CHUNK_STATES;

/**
 * Throws once, right after `step`'s handler returned: its writes are committed, its result is lost.
 * For a Map step the crash is inside one chunk (the second, when there are several): that chunk's
 * rows are written, the others' may or may not be.
 */
function crashOnceAfter(step: StepState, chunks: number) {
  let crashed = false;
  const target: TaskState = isMap(step) ? CHUNK_STATES[step] : step;
  return (state: string, input: unknown) => {
    if (state !== target || crashed) return;
    if (isMap(step) && (input as { chunk: number }).chunk !== Math.min(1, chunks - 1)) return;
    crashed = true;
    throw new StepCrashError(`simulated crash after ${target} wrote and before it returned`);
  };
}

/** Stops the execution once, right after `step`'s handler returned (inside its second chunk for a Map). */
function stopOnceAfter(step: StepState, chunks: number, status: 'ABORTED' | 'TIMED_OUT') {
  let stopped = false;
  const target: TaskState = isMap(step) ? CHUNK_STATES[step] : step;
  return (state: string, input: unknown, execution: { stop(status: 'ABORTED' | 'TIMED_OUT'): never }) => {
    if (state !== target || stopped) return;
    if (isMap(step) && (input as { chunk: number }).chunk !== Math.min(1, chunks - 1)) return;
    stopped = true;
    execution.stop(status);
  };
}

// The same suite with the definition's chunk size (the 25-row sample in one chunk) and with 10 rows
// a chunk (3 chunks): replays, redrives and integrity hold for a multi-chunk import.
describe.each([
  { label: 'one chunk', chunkRows: undefined, chunks: 1 },
  { label: '3 chunks', chunkRows: 10, chunks: 3 },
])('replays and redrives of the import workflow ($label)', ({ chunkRows, chunks }) => {
  let clean: TenantSnapshot;
  let cleanTenant: Tenant;
  let cleanExecution: string;
  const drop = (tenant: Tenant, options?: Parameters<typeof world.drop>[3]) => world.drop(tenant, 'servers.csv', SAMPLE, options, { chunkRows });

  beforeAll(async () => {
    cleanTenant = await world.tenant();
    const { record } = await drop(cleanTenant);
    expect(record.status).toBe('SUCCEEDED');
    cleanExecution = record.name;
    clean = await tenantSnapshot(world.sql, cleanTenant);
  });

  it('has a clean run to compare with: every table of the tenant that the workflow writes is filled, each Map ran every chunk', async () => {
    expect(clean.data_imports!.rows).toBe(1);
    expect(clean.raw_import_records!.rows).toBe(25);
    expect(clean.crewai_flow_state_extensions!.rows).toBe(1);
    expect(clean.discovery_flows!.rows).toBe(1);
    const { events, output } = world.store.get(cleanExecution);
    expect(topLevel(events)).toEqual(CHAIN);
    for (const task of Object.values(CHUNK_STATES)) {
      const entered = events.filter((e) => e.type === 'StateEntered' && e.state === task);
      expect(entered.map((e) => e.index).sort()).toEqual([...Array(chunks).keys()]);
    }
    // the state does not grow per chunk: the Maps leave a count, the chunk plan its row starts
    expect(output).toMatchObject({ chunks: { count: chunks, rows: 25 }, linkedChunks: { chunks }, discoveredChunks: { chunks }, link: { linkedCount: 25 } });
    expect((await importState(world.sql, cleanTenant))!.status).toBe('completed');
  });

  for (const [i, step] of STEP_STATES.entries()) {
    // What AWS redrives: an execution stopped while the Task ran (StopExecution, or the execution's
    // TimeoutSeconds): no Catch ran, and the redrive continues from that Task (for a Map step, from
    // the Map: the stop comes inside one chunk).
    const stop = i % 2 ? 'TIMED_OUT' : 'ABORTED';
    const where = isMap(step) ? `inside one chunk of ${step}` : `after ${step}'s writes`;
    it(`the execution ${stop} ${where}, before the result came back: a redrive continues from ${step} and ends with exactly the database of a clean run`, async () => {
      const tenant = await world.tenant();
      const stopOnce = stopOnceAfter(step, chunks, stop);
      const { record } = await drop(tenant, { afterStep: (state, input, _output, execution) => stopOnce(state, input, execution) });

      expect(record.status).toBe(stop);
      expect(record.events.some((e) => e.state === 'MarkFailed')).toBe(false);
      // ValidateIntegrity's writes are the last ones: the database is already the clean run's
      if (step !== 'ValidateIntegrity') expect(await tenantSnapshot(world.sql, tenant)).not.toEqual(clean);

      const redriven = await world.workflow().redrive(record.name);
      expect(redriven.status, JSON.stringify(redriven.error)).toBe('SUCCEEDED');
      expect(redriven.redriveCount).toBe(1);
      const rerun = redriven.events.slice(redriven.events.findIndex((e) => e.type === 'ExecutionRedriven'));
      expect(topLevel(rerun)).toEqual(CHAIN.slice(CHAIN.indexOf(step)));
      expect(await tenantSnapshot(world.sql, tenant)).toEqual(clean);
    });

    it(`a step error right after ${step}'s writes is caught and marked failed; as on AWS its redrive fails again in the Fail state; start again ends with the database of a clean run`, async () => {
      const tenant = await world.tenant();
      const { record } = await drop(tenant, { afterStep: crashOnceAfter(step, chunks) });

      expect(record.status).toBe('FAILED');
      expect(record.error?.name).toBe('StepCrashError');
      const failed = (await importState(world.sql, tenant))!;
      expect(failed.status).toBe(step === 'ValidateIntegrity' ? 'completed' : 'failed');
      if (step !== 'ValidateIntegrity') expect(failed.error_details).toMatchObject({ errorName: 'StepCrashError', step });

      const redriven = await world.workflow().redrive(record.name);
      expect(redriven.status).toBe('FAILED');
      expect(redriven.error?.name).toBe('StepCrashError');
      const rerun = redriven.events.slice(redriven.events.findIndex((e) => e.type === 'ExecutionRedriven'));
      expect(rerun.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual(['Failed']);

      const again = await world.workflow().replay(record.name);
      expect(again.status, JSON.stringify(again.error)).toBe('SUCCEEDED');
      expect(await tenantSnapshot(world.sql, tenant)).toEqual(clean);
    });
  }

  it('a chunk run again, and twice at once, leaves the same rows (link and discovery)', async () => {
    const state = (await importState(world.sql, cleanTenant))!;
    const input = {
      clientAccountId: cleanTenant.clientAccountId,
      engagementId: cleanTenant.engagementId,
      dataImportId: state.id,
      flowId: state.master_flow_id!,
      discoveryFlowId: state.discovery_id!,
      fromRow: 11,
      chunkRows: 10,
      chunk: 1,
      chunks: 3,
    };
    const sql = world.sql as Sql;
    await expect(linkChunk(sql, input)).resolves.toEqual({ chunk: 1, chunks: 3, rows: 10 });
    await Promise.all([linkChunk(sql, input), linkChunk(sql, input)]);
    const once = await discoverChunk(sql, input);
    expect(once).toMatchObject({ rows: 10 });
    const twice = await Promise.all([discoverChunk(sql, input), discoverChunk(sql, input)]);
    expect(twice).toEqual([once, once]);
    expect(await tenantSnapshot(world.sql, cleanTenant)).toEqual(clean);
  });

  it('replaying a completed execution (start again) changes nothing', async () => {
    const replay = await world.workflow().replay(cleanExecution);
    expect(replay.status).toBe('SUCCEEDED');
    expect(replay.name).toBe(`${cleanExecution}-replay-1`);
    expect(replay.output).toMatchObject({ import: { reused: true }, flow: { reused: true } });
    expect(await tenantSnapshot(world.sql, cleanTenant)).toEqual(clean);
  });

  it('refuses to redrive an execution that succeeded', async () => {
    await expect(world.workflow().redrive(cleanExecution)).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
  });

  it('retries a transient failure with backoff and goes on', async () => {
    const tenant = await world.tenant();
    let failures = 0;
    const { record } = await drop(tenant, {
      afterStep: (state) => {
        if (state === 'LinkChunk' && failures++ < 2) throw Object.assign(new Error('connection reset'), { name: 'TransientError' });
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.events.filter((e) => e.type === 'StateRetried' && e.state === 'LinkChunk')).toHaveLength(2);
    expect(await tenantSnapshot(world.sql, tenant)).toEqual(clean);
  });

  it('fails the execution under IntegrityViolationError when a link is broken before ValidateIntegrity, and marks import and flows failed', async () => {
    const tenant = await world.tenant();
    const { record } = await drop(tenant, {
      afterStep: async (state, input) => {
        if (state !== 'FinishDiscovery') return;
        const { flowId, dataImportId } = input as { flowId: string; dataImportId: string };
        // moving a raw record to another flow of the tenant, away from its import's, the database refuses itself
        const [other] = await world.sql<{ flow_id: string }[]>`
          insert into crewai_flow_state_extensions (client_account_id, engagement_id, flow_type, flow_name, flow_status, flow_configuration)
          values (${tenant.clientAccountId}, ${tenant.engagementId}, 'discovery', 'elsewhere', 'completed', ${jsonb({})}) returning flow_id`;
        await expect(world.sql`
          update raw_import_records set master_flow_id = ${other!.flow_id}
          where data_import_id = ${dataImportId} and master_flow_id = ${flowId} and row_number = 7`).rejects.toMatchObject({ constraint_name: 'raw_import_records_data_import_link_fkey' });
        // taking a record's link away is refused too (raw_import_records_link_kept); what no
        // constraint forbids (a per-row insert check costs the COPY too much): an unlinked record
        // inserted into the linked import
        await expect(world.sql`
          update raw_import_records set master_flow_id = null
          where data_import_id = ${dataImportId} and master_flow_id = ${flowId} and row_number = 7`).rejects.toMatchObject({ constraint_name: 'raw_import_records_link_kept' });
        await world.sql`
          insert into raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data)
          values (${dataImportId}, ${tenant.clientAccountId}, ${tenant.engagementId}, 26, '{"hostname": "sneaked-in"}')`;
      },
    });

    expect(record.status).toBe('FAILED');
    expect(record.error?.name).toBe('IntegrityViolationError');
    expect(
      record.events
        .filter((e) => e.type === 'StateEntered')
        .map((e) => e.state)
        .slice(-5),
    ).toEqual(['ValidateIntegrity', 'MarkFailed', 'ReportFailed', 'PublishFailed', 'Failed']);
    const state = (await importState(world.sql, tenant))!;
    expect(state).toMatchObject({ status: 'failed', flow_status: 'failed', discovery_status: 'failed', error_phase: 'ValidateIntegrity' });
    expect(state.error_message).toMatch(/integrity checks failed for master flow .*raw_import_records/);
    expect(state.error_details).toMatchObject({ errorName: 'IntegrityViolationError', step: 'ValidateIntegrity' });
    expect(state.flow_error).toBe(state.error_message);
  });

  it('completes an import when only a schema warning stands (an index missing), and fails it when a foreign key is missing', async () => {
    await world.sql`drop index assets_master_flow_id_idx`;
    try {
      const { record } = await drop(await world.tenant());
      expect(record.status).toBe('SUCCEEDED');
      expect(record.output).toMatchObject({ integrity: { ok: true, warnings: ['index_missing.assets'] } });
    } finally {
      await world.sql`create index assets_master_flow_id_idx on assets (master_flow_id)`;
    }

    await world.sql`alter table assets drop constraint assets_master_flow_id_fkey`;
    try {
      const tenant = await world.tenant();
      const { record } = await drop(tenant);
      expect(record.status).toBe('FAILED');
      expect(record.error?.name).toBe('IntegrityViolationError');
      expect((await importState(world.sql, tenant))!.error_message).toMatch(/fk_missing\.assets/);
    } finally {
      await world.sql`alter table assets add constraint assets_master_flow_id_fkey foreign key (master_flow_id)
        references crewai_flow_state_extensions (flow_id) on delete cascade`;
    }
  });
});
