/**
 * The custom metrics the Lambdas publish with Powertools Metrics (EMF) and the alarms and dashboard
 * read (infra/constructs/operations.ts): one namespace, the `service` dimension Powertools adds
 * from POWERTOOLS_SERVICE_NAME, and the names. A leaf: functions/ and infra/ both import it.
 */
export const METRICS = {
  namespace: 'Flowlink',
  /** POWERTOOLS_SERVICE_NAME of every Lambda: the logs' `service` and the metrics' dimension. */
  serviceName: 'flowlink',
  /** integrity-check: the health score of the full check (0-100, Percent); never 100 while a critical check fails. */
  healthScore: 'HealthScore',
  /** integrity-check: the sum of the counts of the critical checks (Count): the alarm fires above 0. */
  criticalViolations: 'CriticalViolations',
  /** integrity-check: how many checks (not info) found something (Count). */
  failingChecks: 'FailingChecks',
  /** store-import: rows stored by one import (Count). */
  rowsStored: 'RowsStored',
} as const;
