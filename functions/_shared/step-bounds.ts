import { createHash } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import { ROLES, scopeColumns, scopeParams } from '../../db/access.ts';
import { driverError, type Db } from '../../db/client.ts';
import type { Tenant } from '../../db/queries/sql.ts';
import { STEP_TASKS, taskOf, tasksOf, type LambdaId, type TaskContract } from '../../workflows/steps.ts';
import { TransientError } from '../../workflows/step-errors.ts';
import { currentContainer } from './container.ts';

/**
 * A step's time bounds, all derived from one setting: the step's budget (stepBudgetMs: the smaller
 * of its Lambda's remaining time and its Task's TimeoutSeconds). They nest, innermost first:
 *
 * - `lockTimeoutMs` (PostgreSQL lock_timeout): a statement never queues long behind another
 *   transaction; it fails with 55P03, which is retried.
 * - `statementTimeoutMs` (statement_timeout): the server cancels a statement that runs too long;
 *   for a step whose work is one long statement (StoreImport's COPY), just under the deadline.
 * - `idleInTransactionMs` (idle_in_transaction_session_timeout): the server ends a session whose
 *   client went away in the middle of a transaction (a Lambda that timed out or lost its network),
 *   which releases that attempt's locks.
 * - `deadlineMs`: the handler stops waiting, closes its connection and throws TransientError (a
 *   network black hole answers nothing, so no server-side bound can end the wait).
 * - the budget itself.
 */
export interface StepBounds {
  budgetMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionMs: number;
  deadlineMs: number;
}

export function stepBounds(budgetMs: number, options: { oneLongStatement?: boolean } = {}): StepBounds {
  const budget = Math.max(Math.floor(budgetMs), 1_000);
  const lockTimeoutMs = Math.min(Math.floor(budget * 0.1), 10_000);
  const deadlineMs = Math.floor(budget * 0.9);
  return {
    budgetMs: budget,
    lockTimeoutMs,
    // a statement that is the whole step may run until shortly before the deadline: the server
    // still cancels it first, so the failure names the statement, not a closed connection
    statementTimeoutMs: options.oneLongStatement ? deadlineMs - lockTimeoutMs : Math.floor(budget * 0.75),
    idleInTransactionMs: Math.min(Math.floor(budget * 0.25), 60_000),
    deadlineMs,
  };
}

/**
 * The budget rule: a step's budget is the smaller of its Lambda's remaining time and its Task's
 * TimeoutSeconds (`task`: its entry in workflows/steps.ts). Why the Task's: when the Task times out
 * first, the state machine's States.Timeout retry starts while the first attempt's Lambda runs on,
 * and the retry's fence ends that attempt only once its deadline has passed. A deadline set from a
 * longer Lambda timeout would outlive the Task, and the retry would queue behind the attempt it
 * replaces (lock_timeout, 55P03) until it failed.
 */
export function stepBudgetMs(remainingMs: number, task: Pick<TaskContract, 'timeoutS'> | undefined): number {
  return task ? Math.min(remainingMs, task.timeoutS * 1000) : remainingMs;
}

/**
 * The bounds of one invocation of `lambda` for `input`: its budget is the smaller of the Lambda's
 * remaining time and the TimeoutSeconds of the Task the input belongs to (stepBudgetMs).
 */
export function invocationBounds(lambda: LambdaId, input: unknown, context: { getRemainingTimeInMillis?: () => number } | undefined): StepBounds {
  // when the input does not say which Task it serves, the shortest of the Lambda's Tasks bounds it
  const task = taskOf(lambda, input) ?? tasksOf(lambda).sort((a, b) => a.timeoutS - b.timeoutS)[0];
  return stepBounds(stepBudgetMs(budgetOf(context), task), { oneLongStatement: task?.oneLongStatement });
}

/** The budget of an invocation: the Lambda's remaining time when it starts (its timeout, give or take the cold start). */
export function budgetOf(context: { getRemainingTimeInMillis?: () => number } | undefined, fallbackMs = 60_000): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining && Number.isFinite(remaining) && remaining > 0 ? remaining : fallbackMs;
}

/**
 * The name an attempt of `step` carries for `key` (an import id, or a hash of the S3 object) while
 * its transaction runs, before its deadline is appended: how a later attempt finds it.
 */
export function attemptName(step: string, key: string): string {
  const id = /^[0-9a-f-]{36}$/.test(key) ? key : createHash('sha256').update(key).digest('hex').slice(0, 32);
  // short step codes (workflows/steps.ts): an application_name holds at most 63 bytes
  return `fl:${STEP_TASKS[step]?.code ?? step.slice(0, 8)}:${id}`;
}

/**
 * The statement every step transaction starts with, one round trip:
 * - the bounds as transaction-local settings (statement_timeout, lock_timeout,
 *   idle_in_transaction_session_timeout);
 * - application_name = the attempt's name and its deadline (epoch seconds, on the server's clock);
 * - the fence: a session of an earlier attempt of the same step for the same key whose deadline has
 *   passed is terminated. Its own handler has given up on it by then (the deadline closed its
 *   connection, or its Lambda timed out and the state machine retried), but the server may not know
 *   yet (a black-holed network, a COPY waiting for data that will never come), and its locks would
 *   make the retry queue behind it. Steps are idempotent, so it loses nothing. A live concurrent
 *   attempt (within its deadline) is left alone: the retry waits for it at most lock_timeout, then
 *   fails with 55P03, which is retried. flowlink_fence (migration 0007_db_roles) does it with its owner's
 *   rights, whichever role ran the expired attempt, and can end nothing but an expired attempt;
 * - the step's role and tenant (db/access.ts): from here on the transaction sees its tenant's rows
 *   and has its role's rights, nothing more.
 */
export const FENCE_SQL = `
  select set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true),
         set_config('idle_in_transaction_session_timeout', $3, true),
         set_config('application_name', $4 || ':' || ceil(extract(epoch from clock_timestamp()) + $5::numeric / 1000)::bigint, true),
         flowlink_fence($4) as fenced, ${scopeColumns(6)}`;

export function fenceParams(bounds: StepBounds, name: string, tenant: Tenant): string[] {
  const remaining = Math.max(0, deadlineAt() - Date.now());
  return [`${bounds.statementTimeoutMs}ms`, `${bounds.lockTimeoutMs}ms`, `${bounds.idleInTransactionMs}ms`, name, String(remaining), ...scopeParams(tenant, ROLES.app)];
}

/** Runs FENCE_SQL in a postgres.js transaction. */
export async function fenceTransaction(tx: TransactionSql, bounds: StepBounds, step: string, key: string, tenant: Tenant): Promise<void> {
  await tx.unsafe(FENCE_SQL, fenceParams(bounds, attemptName(step, key), tenant));
}

/**
 * Bounds for the step running now. Each handler invocation sets them (from its context) when it
 * starts; a core called without a handler (tests, the CLI) gets the default budget from the call.
 */
type Running = { bounds: StepBounds; startedAt: number | null };
const BOUNDS = 'step-bounds';
const processDefault: Running = { bounds: stepBounds(Number(process.env.FLOWLINK_STEP_BUDGET_MS) || 60_000), startedAt: null };
// per container: concurrent local invocations (chunks) each keep their own
const current = (): Running => (currentContainer().get(BOUNDS) as Running | undefined) ?? processDefault;
export const currentBounds = (): StepBounds => current().bounds;
/** When the running attempt's deadline passes (epoch ms). */
const deadlineAt = (): number => (current().startedAt ?? Date.now()) + current().bounds.deadlineMs;
export function setCurrentBounds(bounds: StepBounds, startedAt = Date.now()): void {
  currentContainer().set(BOUNDS, { bounds, startedAt } satisfies Running);
}

/**
 * Races `work` against the deadline. When it passes, `abandon` closes the connection (whatever the
 * work still waits for then fails on its own) and the step fails with TransientError, which the
 * state machine retries.
 */
export async function withDeadline<T>(step: string, bounds: StepBounds, abandon: () => Promise<void> | void, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      Promise.resolve()
        .then(abandon)
        .catch(() => {});
      reject(new TransientError(`${step}: no answer from the database within ${bounds.deadlineMs} ms (deadline of a ${bounds.budgetMs} ms budget); the connection was closed`));
    }, bounds.deadlineMs);
  });
  const running = work();
  running.catch(() => {}); // settles after the deadline when abandoned
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a step does when its connection is lost inside its transaction (the handler: destroy the
 * container's client at once). postgres.js 3.4.9 answers a failed transaction with a ROLLBACK on
 * the same connection, and a write to a connection that has closed throws from a timer, out of
 * reach of any catch: the process ends (porsager/postgres#1154, #1208). A destroyed client refuses
 * the ROLLBACK instead of writing it.
 */
const CONNECTION_LOSS = 'connection-loss';
export function setConnectionLossHandler(handler: (() => Promise<void>) | null): void {
  currentContainer().set(CONNECTION_LOSS, handler);
}
const onConnectionLoss = () => currentContainer().get(CONNECTION_LOSS) as (() => Promise<void>) | null | undefined;
const isConnectionLoss = (err: unknown) => /^CONNECTION_(CLOSED|DESTROYED|ENDED)$/.test(String((err as { code?: unknown })?.code));

/**
 * A step's one transaction: begins, applies the current bounds, the fence, the app's role and the
 * tenant (FENCE_SQL), then runs `work` with the transaction (Drizzle over it: `orm(tx)`). A
 * Drizzle-wrapped failure is rethrown as the driver's own error, so error_message never carries the
 * statement text.
 */
export function stepTransaction<T>(client: Sql | Db, step: string, key: string, tenant: Tenant, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const sql = '$client' in client ? client.$client : client;
  return sql.begin(async (tx) => {
    try {
      await fenceTransaction(tx, currentBounds(), step, key, tenant);
      return await work(tx);
    } catch (err) {
      const cause = driverError(err);
      const handler = onConnectionLoss();
      if (isConnectionLoss(cause) && handler) await handler().catch(() => {});
      throw cause;
    }
  }) as Promise<T>;
}
