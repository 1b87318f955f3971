import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../workflows/step-errors.ts';
import { EMPTY_ROW_REASON } from '../../functions/report-outcome/report-outcome.ts';
import type { S3Event } from '../../functions/trigger/s3-event.ts';
import { createdObjects } from '../../functions/trigger/s3-event.ts';
import { startImport, type SfnLike } from '../../functions/trigger/trigger.ts';
import { LocalEventBus, type BusEvent } from '../../workflows/local/events.ts';
import { generatedSchemas, SCHEMA_FILES } from '../../workflows/report-schema.ts';
import { outcomeReport, REPORT_PREFIX, reportKey, reportSummary, summaryOf, type OutcomeReport } from '../../workflows/report.ts';
import type { Tenant } from '../support/fixtures.ts';
import { importState, useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();

const GOOD = [
  'hostname,ip_address,os,memory_gb,Asset Type,Mystery Column',
  'web01,10.0.0.1,Ubuntu 22.04,16,server,a',
  'db-prd-01,10.0.0.2,Oracle Linux 8,64,database,b',
  ',,Windows Server 2019,8,,c',
  ',,,,,',
  'sw-core-01,10.0.0.254,Cisco IOS 15.2,,network,d',
].join('\n');
// line 3 (data row 2) has a third field: StoreImport refuses the file with the line and the row
const BAD = 'hostname,ip_address\nweb01,10.0.0.1\nweb02,"10.0.0.2\nweb03,10.0.0.3\n';

/**
 * The samples in docs/examples/ are what this file's drops write, with the values that differ from
 * run to run (ids, the execution name, hashes, timestamps) replaced by named placeholders: compared
 * on every run, rewritten with UPDATE_EXAMPLES=1.
 */
const EXAMPLES = resolve(import.meta.dirname, '../../docs/examples');
const SAMPLE = resolve(import.meta.dirname, '../../workflows/samples/servers.csv');

function normalised(value: unknown, placeholders: Record<string, string | null | undefined>): unknown {
  const pairs = Object.entries(placeholders)
    .filter((p): p is [string, string] => typeof p[1] === 'string' && p[1] !== '')
    .sort((a, b) => b[1].length - a[1].length);
  const text = (s: string) => {
    let out = s;
    for (const [name, actual] of pairs) out = out.split(actual).join(`<${name}>`);
    return out.replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>').replace(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, '<time>');
  };
  const walk = (v: unknown): unknown =>
    typeof v === 'string' ? text(v) : Array.isArray(v) ? v.map(walk) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v;
  return walk(value);
}

function matchesExample(name: string, actual: unknown) {
  const file = join(EXAMPLES, name);
  const json = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_EXAMPLES) writeFileSync(file, json);
  expect(JSON.parse(readFileSync(file, 'utf8')), `${file} is stale: UPDATE_EXAMPLES=1 npx vitest run test/workflow/outcome-report.test.ts`).toEqual(actual);
}

const events = () => new LocalEventBus(join(world.dir, 'events.ndjson')).read();
const eventsOf = (dataImportId: string) => events().filter((e) => (e.detail as { dataImportId?: string }).dataImportId === dataImportId);

async function readReport(key: string): Promise<OutcomeReport> {
  const out = await world.s3.client.send(new GetObjectCommand({ Bucket: world.s3.bucket, Key: key }));
  expect(out.ContentType).toBe('application/json');
  return outcomeReport.parse(JSON.parse(await out.Body!.transformToString()));
}

/** What the database says about a tenant's import, to hold each report against. */
async function databaseView(tenant: Tenant) {
  const state = (await importState(world.sql, tenant))!;
  const mappings = await world.sql<{ source_field: string; target_field: string; match_type: string; confidence: number; is_user_defined: boolean; transformation_rules: unknown }[]>`
    select source_field, target_field, match_type::text, confidence, is_user_defined, transformation_rules from import_field_mappings
    where data_import_id = ${state.id} order by source_field`;
  const byType = await world.sql<{ asset_type: string; n: number }[]>`
    select asset_type::text, count(*)::int as n from assets where discovery_flow_id = ${state.discovery_id} group by 1`;
  const [skipped] = await world.sql<{ n: number }[]>`
    select count(*)::int as n from raw_import_records where data_import_id = ${state.id} and is_valid = false`;
  const [config] = await world.sql<{ empty: number | null }[]>`select (import_config->>'emptyRowsSkipped')::int as empty from data_imports where id = ${state.id}`;
  return { state, mappings, byType: Object.fromEntries(byType.map((t) => [t.asset_type, t.n])), skipped: skipped!.n, emptyRows: config?.empty ?? 0 };
}

describe('the outcome report and event of every drop', () => {
  let good: { tenant: Tenant; report: OutcomeReport; execution: string; key: string; dataImportId: string };
  let bad: { tenant: Tenant; report: OutcomeReport; execution: string; key: string; dataImportId: string };

  it('a good file: the report beside the drop holds what the database holds, and one "Import Succeeded" event carries its summary', async () => {
    const tenant = await world.tenant();
    const created: S3Event[] = [];
    const unsubscribe = world.s3.subscribe((e) => created.push(e));
    const { record, started } = await world.drop(tenant, 'servers.csv', GOOD);
    unsubscribe();
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');

    const key = reportKey(started.input);
    expect(key).toBe(`reports/${tenant.clientAccountId}/${tenant.engagementId}/servers.csv.${started.input.etag}.json`);
    const report = await readReport(key);
    const db = await databaseView(tenant);
    expect(report).toMatchObject({
      version: 1,
      status: 'succeeded',
      execution: record.name,
      error: null,
      clientAccountId: tenant.clientAccountId,
      engagementId: tenant.engagementId,
      bucket: world.s3.bucket,
      key: started.input.key,
      etag: started.input.etag,
      fileName: 'servers.csv',
      dataImportId: db.state.id,
      flowId: db.state.master_flow_id,
      discoveryFlowId: db.state.discovery_id,
      importStatus: 'completed',
      rows: {
        stored: db.state.raw,
        linked: db.state.linked,
        skipped: db.skipped + db.emptyRows,
        skippedByReason: { 'no name, host name or IP address': 1, [EMPTY_ROW_REASON]: db.emptyRows },
      },
      assets: 3,
      assetsByType: db.byType,
      // a first drop into an empty engagement: one new inventory item per machine
      inventory: { new: 3, matched: 0, updated: 0, candidates: 0 },
      file: { format: 'csv', delimiter: ',', headers: ['hostname', 'ip_address', 'os', 'memory_gb', 'Asset Type', 'Mystery Column'] },
      integrity: { verdict: 'clean', healthScore: (record.output as { integrity: { healthScore: number } }).integrity.healthScore },
      report: { bucket: world.s3.bucket, key },
    });
    expect(report.rows).toMatchObject({ stored: 4, linked: 4, skipped: 2 });
    expect(report.assetsByType).toEqual({ database: 1, network: 1, server: 1 });
    expect(report.recognisedFormat).toBe((await world.sql`select source_system from data_imports where id = ${db.state.id}`)[0]!.source_system);
    // every mapping, in file order, as stored
    expect(report.fieldMappings.map((m) => m.sourceField)).toEqual(report.file.headers);
    expect([...report.fieldMappings].sort((a, b) => a.sourceField.localeCompare(b.sourceField))).toEqual(
      db.mappings
        .map((m) => ({
          sourceField: m.source_field,
          targetField: m.target_field,
          matchType: m.match_type,
          confidence: m.confidence,
          userDefined: m.is_user_defined,
          evidence: (m.transformation_rules as { rule?: string } | null)?.rule ?? null,
          unit: (m.transformation_rules as { unit?: string } | null)?.unit ?? null,
        }))
        .sort((a, b) => a.sourceField.localeCompare(b.sourceField)),
    );
    expect(report.unmappedColumns).toEqual(db.mappings.filter((m) => m.match_type === 'unmapped').map((m) => m.source_field));
    expect(report.unmappedColumns).toContain('Mystery Column');

    const [event, ...more] = eventsOf(db.state.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ source: 'flowlink', 'detail-type': 'Import Succeeded', version: '0' });
    expect(event!.detail).toEqual(summaryOf(report));
    reportSummary.parse(event!.detail);

    // the report write emitted an S3 event; handed to the trigger, it starts nothing
    const reportEvents = created.flatMap(createdObjects).filter((ref) => ref.key.startsWith(REPORT_PREFIX));
    expect(reportEvents.map((r) => r.key)).toEqual([key]);
    const calls: string[] = [];
    const sfn: SfnLike = {
      startExecution: async (p) => {
        calls.push(p.name);
        return {};
      },
    };
    for (const ref of reportEvents) {
      await expect(startImport({ sql: world.sql, sfn, stateMachineArn: 'arn:aws:states:us-east-1:0:stateMachine:x' }, ref)).rejects.toThrow(/refused s3 key "reports\//);
    }
    expect(calls).toEqual([]);
    good = { tenant, report, execution: record.name, key, dataImportId: db.state.id };
  });

  it('a bad file: the execution still fails with the step\'s error; the report names file, line, row and what to do; one "Import Failed" event', async () => {
    const tenant = await world.tenant();
    const { record, started } = await world.drop(tenant, 'broken.csv', BAD);
    expect(record.status).toBe('FAILED');
    expect(record.error?.name).toBe('InvalidImportError');

    const key = reportKey(started.input);
    const report = await readReport(key);
    const db = await databaseView(tenant);
    expect(db.state.status).toBe('failed');
    expect(report).toMatchObject({
      status: 'failed',
      execution: record.name,
      dataImportId: db.state.id,
      flowId: null,
      discoveryFlowId: null,
      importStatus: 'failed',
      rows: { stored: 0, linked: 0, skipped: 0, skippedByReason: {} },
      fieldMappings: [],
      assets: 0,
      integrity: { verdict: 'not_run', healthScore: null },
      error: { name: 'InvalidImportError', step: 'StoreImport', message: db.state.error_message, file: 'broken.csv', line: 3, row: 2 },
    });
    expect(report.error!.message).toMatch(/broken\.csv: line 3/);
    expect(report.error!.advice).toMatch(/^Fix broken\.csv at line 3, data row 2: .*upload it again/);

    const [event, ...more] = eventsOf(db.state.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ source: 'flowlink', 'detail-type': 'Import Failed' });
    expect(event!.detail).toEqual(summaryOf(report));
    expect(event!.detail).toMatchObject({ error: { name: 'InvalidImportError', line: 3, row: 2, advice: report.error!.advice } });
    bad = { tenant, report, execution: record.name, key, dataImportId: db.state.id };
  });

  it('the samples of docs/examples/ are the report of the bundled sample and the event of the bad file, as written', async () => {
    const tenant = await world.tenant();
    const { record, started } = await world.drop(tenant, 'servers.csv', readFileSync(SAMPLE));
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    const report = await readReport(reportKey(started.input));
    matchesExample(
      'report.succeeded.json',
      normalised(report, {
        client_account_id: tenant.clientAccountId,
        engagement_id: tenant.engagementId,
        execution: report.execution,
        data_import_id: report.dataImportId,
        flow_id: report.flowId,
        discovery_flow_id: report.discoveryFlowId,
        outcome_id: report.outcomeId,
        etag: report.etag,
        sha256: report.file?.sha256,
      }),
    );

    const [event, ...more] = eventsOf(bad.dataImportId);
    expect(more).toEqual([]);
    matchesExample(
      'event.failed.json',
      normalised(event, {
        client_account_id: bad.tenant.clientAccountId,
        engagement_id: bad.tenant.engagementId,
        execution: bad.execution,
        data_import_id: bad.dataImportId,
        outcome_id: bad.report.outcomeId,
        etag: bad.report.etag,
        event_id: event!.id,
      }),
    );
  });

  it('a replay rewrites the same report (same key, same content but the execution) and sends the event again with the same ids', async () => {
    for (const drop of [good, bad]) {
      const workflow = world.workflow();
      const before = eventsOf(drop.dataImportId);
      const replayed = await workflow.replay(drop.execution);
      expect(replayed.name).toBe(`${drop.execution}-replay-1`);
      expect(replayed.status).toBe(drop.report.status === 'succeeded' ? 'SUCCEEDED' : 'FAILED');

      const again = await readReport(drop.key);
      expect(again.execution).toBe(replayed.name);
      expect({ ...again, execution: drop.execution }).toEqual(drop.report);

      const after = eventsOf(drop.dataImportId);
      expect(after).toHaveLength(before.length + 1);
      const [first, second] = [before[0]!, after.at(-1)!] as BusEvent[];
      expect(second['detail-type']).toBe(first['detail-type']);
      expect(second.id).not.toBe(first.id); // EventBridge ids are per put: consumers deduplicate on the detail's ids
      const ids = (e: BusEvent) => {
        const d = e.detail as Record<string, unknown>;
        return [d.outcomeId, d.dataImportId, d.flowId, d.bucket, d.key, d.versionId, d.etag];
      };
      expect(ids(second)).toEqual(ids(first));
      expect({ ...(second.detail as object), execution: drop.execution }).toEqual(first.detail);
    }
  });

  it('an integrity violation after discovery: the report gives the verdict, the partial counts from the database, and says the file is not at fault', async () => {
    const tenant = await world.tenant();
    const { record, started } = await world.drop(tenant, 'linked-badly.csv', GOOD, {
      afterStep: async (state, input) => {
        if (state !== 'FinishDiscovery') return;
        const { dataImportId } = input as { dataImportId: string };
        // the database refuses to unlink a record of a linked import (raw_import_records_link_kept):
        // the sabotage takes backfill --undo's transaction-local way around it
        await world.sql.begin(async (tx) => {
          await tx`select set_config('flowlink.restoring_backfill', 'on', true)`;
          await tx`update raw_import_records set master_flow_id = null where data_import_id = ${dataImportId} and row_number = 2`;
        });
      },
    });
    expect(record.error?.name).toBe('IntegrityViolationError');
    const report = await readReport(reportKey(started.input));
    const db = await databaseView(tenant);
    expect(report).toMatchObject({
      status: 'failed',
      importStatus: 'failed',
      dataImportId: db.state.id,
      flowId: db.state.master_flow_id,
      discoveryFlowId: db.state.discovery_id,
      rows: { stored: 4, linked: db.state.linked, skipped: 2 },
      assets: 3,
      assetsByType: db.byType,
      integrity: { verdict: 'violations' },
      error: { name: 'IntegrityViolationError', step: 'ValidateIntegrity', message: db.state.error_message, line: null, row: null },
    });
    expect(db.state.linked).toBe(3);
    expect(report.error!.advice).toMatch(/nothing to change in the file/);
    expect(eventsOf(db.state.id).map((e) => e['detail-type'])).toEqual(['Import Failed']);
  });

  it('a report or event that cannot be written never changes the outcome: retried, then the execution ends as it would have', async () => {
    const tenant = await world.tenant();
    let reportCalls = 0;
    const { record } = await world.drop(tenant, 'again.csv', GOOD, {
      tasks: {
        ReportSucceeded: async () => {
          reportCalls++;
          throw new TransientError('s3 is down');
        },
      },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(reportCalls).toBe(7); // the first attempt and the definition's six retries
    expect(record.events.filter((e) => e.type === 'StateRetried' && e.state === 'ReportSucceeded')).toHaveLength(6);
    expect(record.events.some((e) => e.state === 'PublishSucceeded')).toBe(false);
    expect((await importState(world.sql, tenant))!.status).toBe('completed');

    let publishCalls = 0;
    const failing = await world.drop(await world.tenant(), 'broken-again.csv', BAD, {
      tasks: {
        PublishFailed: async () => {
          publishCalls++;
          throw new Error('EventBridge said no');
        },
      },
    });
    expect(publishCalls).toBe(7);
    expect(failing.record.status).toBe('FAILED');
    expect(failing.record.error?.name).toBe('InvalidImportError');
    // the report was still written
    expect((await readReport(reportKey(failing.started.input))).status).toBe('failed');
  });

  it('refuses an event of another source on the local bus, as the deployed role does', async () => {
    const bus = new LocalEventBus(join(world.dir, 'other.ndjson'));
    await expect(bus.putEvents({ Entries: [{ Source: 'someone.else', DetailType: 'x', Detail: {} }] })).rejects.toThrow(/only with source "flowlink"/);
    expect(bus.read()).toEqual([]);
  });

  it('the committed JSON Schemas are the ones generated from the zod schemas', () => {
    const generated = generatedSchemas();
    expect(readFileSync(SCHEMA_FILES.report, 'utf8')).toBe(generated.report);
    expect(readFileSync(SCHEMA_FILES.eventDetail, 'utf8')).toBe(generated.eventDetail);
  });
});
