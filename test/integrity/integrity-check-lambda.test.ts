import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { integrityHistory } from '../../db/integrity/index.ts';
import { INTEGRITY_METRICS, runScheduledIntegrityCheck, type MetricUnitName } from '../../functions/integrity-check/integrity-check.ts';
import { useTestDatabase } from '../support/db.ts';
import { createFlowTree, createMasterFlow, createTenant } from '../support/fixtures.ts';

const database = useTestDatabase();
// the handler's Logger is built at import: keep its JSON lines out of the test output
vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');

/** Runs `work` and returns the EMF documents Powertools printed to stdout meanwhile. */
async function captureEmf(work: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return lines
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter((d) => d?._aws?.CloudWatchMetrics);
}

/** Metric name → value over EMF documents (Powertools splits them at 100 metrics each). */
function emfValues(docs: Record<string, any>[]) {
  const values: Record<string, number> = {};
  for (const doc of docs) {
    for (const m of doc._aws.CloudWatchMetrics[0].Metrics) values[m.Name] = doc[m.Name];
  }
  return values;
}

describe('integrity-check Lambda', () => {
  let assetId: string;

  beforeAll(async () => {
    const { sql } = database.current;
    const tenant = await createTenant(sql);
    const ids = await createFlowTree(sql, tenant, await createMasterFlow(sql, tenant));
    assetId = ids.assets;
    await sql`alter table assets alter column master_flow_id drop not null`;
    await sql`update assets set master_flow_id = null where id = ${assetId}`;
  });

  it('stores the run, logs it as structured JSON and publishes one metric per check plus the summaries', async () => {
    const published: { name: string; unit: MetricUnitName; value: number }[] = [];
    const logged: { level: string; message: string; extra: Record<string, any> }[] = [];
    const result = await runScheduledIntegrityCheck({
      sql: database.current.sql,
      metrics: { addMetric: (name, unit, value) => published.push({ name, unit, value }) },
      logger: { info: (message, extra) => logged.push({ level: 'info', message, extra }), warn: (message, extra) => logged.push({ level: 'warn', message, extra }) },
    });

    expect(result).toMatchObject({ ok: false, criticalViolations: 1, failingChecks: ['missing_link.assets'] });
    const [stored] = await integrityHistory(database.current.sql, { limit: 5 });
    expect(stored).toMatchObject({ id: result.runId, ok: false, criticalCount: 1 });

    const byName = Object.fromEntries(published.map((m) => [m.name, m]));
    expect(published).toHaveLength(new Set(published.map((m) => m.name)).size);
    expect(byName['missing_link.assets']).toEqual({ name: 'missing_link.assets', unit: 'Count', value: 1 });
    expect(byName['dangling_link.raw_import_records']).toEqual({ name: 'dangling_link.raw_import_records', unit: 'Count', value: 0 });
    expect(byName['fk_missing.wave_plans']!.value).toBe(0);
    expect(byName[INTEGRITY_METRICS.criticalViolations]).toMatchObject({ unit: 'Count', value: 1 });
    expect(byName[INTEGRITY_METRICS.failingChecks]).toMatchObject({ unit: 'Count', value: 1 });
    expect(byName[INTEGRITY_METRICS.healthScore]!.value).toBeLessThan(100);

    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', message: 'integrity violations found' });
    expect(logged[0]!.extra.integrity.failing).toEqual([{ id: 'missing_link.assets', severity: 'critical', table: 'assets', count: 1, sampleIds: [assetId] }]);
    expect(JSON.parse(JSON.stringify(logged[0]!.extra))).toEqual(logged[0]!.extra);
  });

  it('publishes through Powertools Metrics as EMF in the Flowlink namespace', async () => {
    const metrics = new Metrics({ namespace: INTEGRITY_METRICS.namespace, serviceName: 'flowlink' });
    const { powertoolsMetrics } = await import('../../functions/integrity-check/handler.ts');
    const logger = { info: () => {}, warn: () => {} };
    const docs = await captureEmf(async () => {
      await runScheduledIntegrityCheck({ sql: database.current.sql, metrics: powertoolsMetrics(metrics), logger });
      metrics.publishStoredMetrics();
    });
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('Flowlink');
      expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
      expect(doc.service).toBe('flowlink');
    }
    const values = emfValues(docs);
    expect(values['missing_link.assets']).toBe(1);
    expect(values.CriticalViolations).toBe(1);
    expect(values.HealthScore).toBeLessThan(100);
    expect(values['cross_tenant.assets']).toBe(0);
  });

  describe('handler', () => {
    let close: (() => Promise<void>) | undefined;
    beforeAll(() => {
      vi.stubEnv('DATABASE_URL', database.current.url);
    });
    afterAll(async () => {
      await close?.();
      vi.unstubAllEnvs();
    });

    it('runs the full check for a scheduler event and flushes the metrics', async () => {
      const { handler } = await import('../../functions/integrity-check/handler.ts');
      const context = {
        functionName: 'integrity-check',
        functionVersion: '$LATEST',
        awsRequestId: 'req-1',
        memoryLimitInMB: '1024',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:integrity-check',
        getRemainingTimeInMillis: () => 60_000,
      } as unknown as Context;
      let result: any;
      const docs = await captureEmf(async () => {
        result = await handler({ staleRunningAfterMinutes: 30 } as never, context);
      });
      expect(result).toMatchObject({ ok: false, criticalViolations: 1 });
      expect(emfValues(docs)['missing_link.assets']).toBe(1);
      const { lambdaDatabase } = await import('../../functions/_shared/database.ts');
      close = (await lambdaDatabase()).close;
      const [latest] = await integrityHistory(database.current.sql, { limit: 1 });
      expect(latest!.scope).toMatchObject({ staleRunningAfterMinutes: 30, flowId: null });
      expect(result.deep).toBe(false);
    });

    it("reads every row for the weekly schedule's { deep: true }, to the same verdict", async () => {
      const { handler } = await import('../../functions/integrity-check/handler.ts');
      const context = { functionName: 'integrity-check', awsRequestId: 'req-2', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
      let result: any;
      await captureEmf(async () => {
        result = await handler({ deep: true } as never, context);
      });
      expect(result).toMatchObject({ ok: false, criticalViolations: 1, failingChecks: ['missing_link.assets'], deep: true });
      await expect(handler({ deep: 'yes' } as never, context)).rejects.toThrow(/parse/);
    });
  });
});
