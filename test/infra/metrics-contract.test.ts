import { describe, expect, it } from 'vitest';
import { STAGES } from '../../infra/config/environments.ts';
import { METRICS } from '../../workflows/metrics.ts';
import { synthStage } from './synth.ts';

/**
 * The alarms and the code share one metrics contract (workflows/metrics.ts): each alarm on a custom
 * metric reads METRICS' namespace and service dimension and one of its names, and every Lambda is
 * deployed with that namespace and service name for Powertools. (That the code really publishes
 * those series is shown in deploy-invariants.test.ts, from the EMF the integrity check prints.)
 */
const NAMES = new Set<string>([METRICS.healthScore, METRICS.criticalViolations, METRICS.failingChecks, METRICS.rowsStored]);

describe.each(STAGES)('%s: one metrics contract for the code and the alarms', (stage) => {
  const resources = Object.values(synthStage(stage).stateless$.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>);

  it('every alarm on a custom metric reads the namespace, the service dimension and a name of workflows/metrics.ts', () => {
    const custom = resources
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .flatMap((a) => (a.Properties.Metrics ? a.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric) : [a.Properties]))
      .filter((m: any) => !String(m.Namespace).startsWith('AWS/'));
    expect(custom.length).toBeGreaterThan(0);
    for (const m of custom) {
      expect({ namespace: m.Namespace, dimensions: m.Dimensions, known: NAMES.has(m.MetricName) }, m.MetricName).toEqual({
        namespace: METRICS.namespace,
        dimensions: [{ Name: 'service', Value: METRICS.serviceName }],
        known: true,
      });
    }
  });

  it('every Lambda publishes under that namespace and service name', () => {
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.DB_NAME);
    expect(functions.length).toBeGreaterThanOrEqual(11);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace, POWERTOOLS_SERVICE_NAME: METRICS.serviceName });
    }
  });
});
