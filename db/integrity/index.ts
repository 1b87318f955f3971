import type { TransactionSql } from 'postgres';
import { operatorTransaction } from '../access.ts';
import { orm, unwrapped, type Db, type Sql, type Tx } from '../client.ts';
import { MASTER_TABLE, readCatalog } from './catalog.ts';
import { runDataChecks } from './data-checks.ts';
import { runInventoryChecks } from './inventory-checks.ts';
import { readProofs } from './proofs.ts';
import { storeRun } from './history.ts';
import { runSchemaChecks } from './schema-checks.ts';
import { healthScore, isOk } from './score.ts';
import type { IntegrityOptions, IntegrityReport, IntegrityScope } from './types.ts';
import { isUuid } from '../../workflows/contracts.ts';

export type * from './types.ts';
export { integrityHistory, type IntegrityRun } from './history.ts';
export { healthScore, isOk, MAX_SCORE_WITH_CRITICAL } from './score.ts';

export const DEFAULT_STALE_RUNNING_AFTER_MINUTES = 120;
export const MAX_SAMPLE_IDS = 100;

/** A scope value that cannot be a flow, client or engagement id. */
export class IntegrityScopeError extends Error {
  override name = 'IntegrityScopeError';
}

/** The database cannot be checked at all (no master flow table). */
export class IntegrityUnavailableError extends Error {
  override name = 'IntegrityUnavailableError';
}

/**
 * Proves (or disproves) that nothing hangs outside its master flow.
 *
 * Primary course:
 * 1. Read the catalog: the expected tables and every public table with a master_flow_id column.
 * 2. Data checks within the scope (flow, client, engagement): missing, dangling, inconsistent and
 *    cross-tenant links. A check that a validated, enforced foreign key proves is not counted row by
 *    row (unless `deep`); the rest in one aggregate pass per table, then sample ids of failing
 *    checks; unknown flow types and stuck running flows in the master table.
 * 2b. The inventory's checks (inventory-checks.ts): every reconciled asset in one item of its tenant, no item
 *    without an observation.
 * 3. Schema checks (unless `schema: false`), always over the whole database: they do not depend on
 *    the scope, so a scoped run reports them as they are.
 * 4. Health score and ok; with `store: true` one row in integrity_runs.
 *
 * Read-only except for the stored run; safe to run at any time and concurrently.
 */
export async function runIntegrityCheck(client: Sql | TransactionSql | Tx, options: IntegrityOptions = {}): Promise<IntegrityReport> {
  return unwrapped(check(orm(client), options));
}

/**
 * The integrity check as the operator (db/access.ts): every tenant's rows, the checks in a READ ONLY
 * transaction (the server refuses any write), then, with `store`, the run recorded in a second one.
 */
export async function runIntegrityCheckAsOperator(client: Sql | Db, options: IntegrityOptions = {}): Promise<IntegrityReport> {
  const report = await operatorTransaction(client, (tx) => check(tx, { ...options, store: false }), { readOnly: true });
  if (options.store) report.runId = await operatorTransaction(client, (tx) => storeRun(tx, report));
  return report;
}

async function check(db: Tx, options: IntegrityOptions): Promise<IntegrityReport> {
  const started = performance.now();
  const scope = toScope(options);
  const sampleLimit = Math.max(0, Math.min(MAX_SAMPLE_IDS, Math.trunc(options.sampleLimit ?? MAX_SAMPLE_IDS)));
  const checkedAt = new Date().toISOString();
  const catalog = await readCatalog(db);
  if (!catalog.masterTableExists) {
    throw new IntegrityUnavailableError(`the master flow table ${MASTER_TABLE}(flow_id) does not exist: is this database migrated?`);
  }
  const deep = options.deep === true;
  const proofs = deep ? null : await readProofs(db, catalog);
  const data = await runDataChecks(db, catalog, scope, sampleLimit, proofs);
  const inventory = await runInventoryChecks(db, scope, sampleLimit, deep);
  const schemaChecks = options.schema === false ? [] : await runSchemaChecks(db, catalog);
  const checks = [...data.checks, ...inventory, ...schemaChecks];
  const checkedRows = data.masterFlowRows + Object.values(data.tables).reduce((sum, t) => sum + t.rows, 0);
  const report: IntegrityReport = {
    ok: isOk(checks),
    healthScore: healthScore(checks, checkedRows),
    checkedAt,
    scope,
    tables: data.tables,
    masterFlows: data.masterFlowRows,
    checks,
    deep,
    durationMs: 0,
  };
  report.durationMs = Math.round(performance.now() - started);
  if (options.store) report.runId = await storeRun(db, report);
  return report;
}

function toScope(options: IntegrityOptions): IntegrityScope {
  for (const key of ['flowId', 'clientAccountId', 'engagementId'] as const) {
    const value = options[key];
    if (value !== undefined && !isUuid(value)) throw new IntegrityScopeError(`${key} must be a uuid, got "${value}"`);
  }
  const minutes = options.staleRunningAfterMinutes ?? DEFAULT_STALE_RUNNING_AFTER_MINUTES;
  if (!Number.isFinite(minutes) || minutes < 0) throw new IntegrityScopeError(`staleRunningAfterMinutes must be a number ≥ 0, got ${minutes}`);
  return {
    flowId: options.flowId?.toLowerCase() ?? null,
    clientAccountId: options.clientAccountId?.toLowerCase() ?? null,
    engagementId: options.engagementId?.toLowerCase() ?? null,
    staleRunningAfterMinutes: minutes,
  };
}
