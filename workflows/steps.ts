/**
 * The step contract: every Lambda of the product, and for the workflow's Lambdas each Task state
 * that invokes it. The one list the CDK (function ids, sizes, timeouts, entry folders), the ASL
 * checks, the step handlers (budget, attempt names), the local runner and the tests read. A leaf:
 * it imports nothing, so functions/, infra/ and the harness can all depend on it.
 *
 * The ASL file stays the one definition deployed; test/workflow/retry-contract.test.ts asserts
 * that its Tasks' TimeoutSeconds and Retry match this registry.
 */

/**
 * How a Task is retried (the shape of its ASL Retry array):
 * - `transient`: TransientError and the Lambda service errors only. A timed-out attempt may still
 *   be running, so a step that cannot end it (no fence) must not be retried on States.Timeout.
 * - `fenced-timeout`: the above, plus one retry on States.Timeout; only for a fenced step, whose
 *   retry ends its timed-out predecessor's session instead of queueing behind its locks.
 * - `outcome`: States.Timeout retried with the transient errors (the outcome report writes no
 *   database row: a second attempt beside the first one is harmless).
 */
export type RetryClass = 'transient' | 'fenced-timeout' | 'outcome';

export interface TaskContract {
  /** The `action` field of the Task's input, when one Lambda serves several Tasks. */
  readonly action?: 'plan' | 'chunk' | 'finish';
  /** The Task's TimeoutSeconds in the ASL. */
  readonly timeoutS: number;
  readonly retry: RetryClass;
  /** Its transaction starts with the fence (FENCE_SQL): a retry ends an earlier attempt past its deadline. */
  readonly fenced: boolean;
  /**
   * The code in a fenced attempt's application_name (at most 63 bytes in all). Kept as deployed: a
   * retry finds its predecessor by this name, so changing one would leave a running attempt unfenced.
   */
  readonly code?: string;
  /**
   * The work is one long statement (StoreImport's COPY): its statement_timeout runs to just under
   * the deadline instead of the usual 75 % of the budget.
   */
  readonly oneLongStatement?: boolean;
}

export interface LambdaContract {
  /** `functions/<folder>/handler.ts` exports `handler`. */
  readonly folder: string;
  /** 1769 MB is one full vCPU; Lambda's CPU share is proportional to memory. */
  readonly memoryMiB: number;
  /** The Lambda's timeout. */
  readonly timeoutS: number;
  /** The ASL placeholder of its Task Resource (the CDK's definitionSubstitutions key), for the workflow's Lambdas. */
  readonly placeholder?: string;
  /** The Task states that invoke it, by state name. */
  readonly tasks?: Readonly<Record<string, TaskContract>>;
}

const ONE_VCPU_MIB = 1769;

/** Every Lambda, by its construct id in the stateless stack, the workflow's steps first. */
export const LAMBDAS = {
  // CPU-bound parse + COPY, 47–49k rows/s on one core: 1M rows ≈ 21 s; workbooks are spooled to /tmp whole
  StoreImport: {
    folder: 'store-import',
    memoryMiB: ONE_VCPU_MIB,
    timeoutS: 900,
    placeholder: 'StoreImportFunctionArn',
    tasks: { StoreImport: { timeoutS: 900, retry: 'transient', fenced: true, code: 'SI', oneLongStatement: true } },
  },
  CreateMasterFlow: {
    folder: 'create-master-flow',
    memoryMiB: 512,
    timeoutS: 60,
    placeholder: 'CreateMasterFlowFunctionArn',
    tasks: { CreateMasterFlow: { timeoutS: 60, retry: 'fenced-timeout', fenced: true, code: 'CMF' } },
  },
  // one set-based UPDATE: the database works, the Lambda waits (1M records: 26 s)
  LinkRecords: {
    folder: 'link-records',
    memoryMiB: 512,
    timeoutS: 300,
    placeholder: 'LinkRecordsFunctionArn',
    tasks: {
      LinkChunk: { action: 'chunk', timeoutS: 300, retry: 'fenced-timeout', fenced: true, code: 'LinkChun' },
      FinishLink: { action: 'finish', timeoutS: 300, retry: 'fenced-timeout', fenced: true, code: 'FinishLi' },
    },
  },
  // CPU-bound normalisation, ~10k rows/s on one core, RSS flat at ~290 MB: 1M rows ≈ 100 s at 1769 MB
  // (≈ 350 s at 512 MB, a third of a vCPU); one chunk is at most the workflow's chunkRows rows
  StartDiscovery: {
    folder: 'start-discovery',
    memoryMiB: ONE_VCPU_MIB,
    timeoutS: 900,
    placeholder: 'StartDiscoveryFunctionArn',
    tasks: {
      PlanDiscovery: { action: 'plan', timeoutS: 300, retry: 'fenced-timeout', fenced: true, code: 'PlanDisc' },
      DiscoverChunk: { action: 'chunk', timeoutS: 900, retry: 'transient', fenced: true, code: 'Discover' },
      FinishDiscovery: { action: 'finish', timeoutS: 300, retry: 'fenced-timeout', fenced: true, code: 'FinishDi' },
    },
  },
  // set-based matching of one chunk's assets into the engagement's inventory; chunks run one at a
  // time (the engagement's lock serialises them anyway)
  ReconcileInventory: {
    folder: 'reconcile-inventory',
    memoryMiB: 512,
    timeoutS: 900,
    placeholder: 'ReconcileInventoryFunctionArn',
    tasks: {
      ReconcileChunk: { action: 'chunk', timeoutS: 900, retry: 'transient', fenced: true, code: 'Reconcil' },
      FinishReconcile: { action: 'finish', timeoutS: 300, retry: 'fenced-timeout', fenced: true, code: 'FinishRe' },
    },
  },
  ValidateIntegrity: {
    folder: 'validate-integrity',
    memoryMiB: 512,
    timeoutS: 300,
    placeholder: 'ValidateIntegrityFunctionArn',
    tasks: { ValidateIntegrity: { timeoutS: 300, retry: 'fenced-timeout', fenced: true, code: 'VI' } },
  },
  MarkFailed: {
    folder: 'mark-failed',
    memoryMiB: 512,
    timeoutS: 60,
    placeholder: 'MarkFailedFunctionArn',
    tasks: { MarkFailed: { timeoutS: 60, retry: 'fenced-timeout', fenced: true, code: 'MF' } },
  },
  // reads the import's counts and mappings (indexed, one transaction) and writes one small JSON object
  ReportOutcome: {
    folder: 'report-outcome',
    memoryMiB: 512,
    timeoutS: 60,
    placeholder: 'ReportOutcomeFunctionArn',
    tasks: {
      ReportSucceeded: { timeoutS: 60, retry: 'outcome', fenced: false },
      ReportFailed: { timeoutS: 60, retry: 'outcome', fenced: false },
    },
  },
  Trigger: { folder: 'trigger', memoryMiB: 512, timeoutS: 30 },
  // set-based plan and two UPDATEs (1M records: 24.5 s); the database works
  Backfill: { folder: 'backfill', memoryMiB: 1024, timeoutS: 900 },
  // removes one import's master flow (cascades) and re-derives the inventory items it touched
  Retract: { folder: 'retract', memoryMiB: 512, timeoutS: 900 },
  // the daily check reads the catalog and indexes (0.02 s at 1M); the weekly deep one every row (4.3 s at 10M)
  IntegrityCheck: { folder: 'integrity-check', memoryMiB: 1024, timeoutS: 900 },
  Migrations: { folder: 'migrations', memoryMiB: 512, timeoutS: 900 },
} as const satisfies Record<string, LambdaContract>;

export type LambdaId = keyof typeof LAMBDAS;
export const LAMBDA_IDS = Object.keys(LAMBDAS) as LambdaId[];

/** The Lambdas the workflow invokes through a `${...}` placeholder. */
export type WorkflowLambdaId = { [K in LambdaId]: (typeof LAMBDAS)[K] extends { tasks: object } ? K : never }[LambdaId];

/** One Task state of the workflow and the Lambda it invokes. */
export interface StepTask extends TaskContract {
  readonly state: string;
  readonly lambda: WorkflowLambdaId;
}

/** Every Task state that invokes a Lambda, by state name. */
export const STEP_TASKS: Readonly<Record<string, StepTask>> = Object.fromEntries(
  Object.entries(LAMBDAS).flatMap(([lambda, contract]) =>
    Object.entries((contract as LambdaContract).tasks ?? {}).map(([state, task]) => [state, { ...task, state, lambda: lambda as WorkflowLambdaId }]),
  ),
);

/** The Task states that invoke `lambda` (none for a Lambda outside the workflow). */
export const tasksOf = (lambda: LambdaId): StepTask[] => Object.values(STEP_TASKS).filter((t) => t.lambda === lambda);

/**
 * The Task a Lambda's invocation serves: the only one, or the one whose `action` the input
 * carries. Undefined when the input does not say (the two outcome reports) or outside the workflow.
 */
export function taskOf(lambda: LambdaId, input: unknown): StepTask | undefined {
  const action = (input as { action?: unknown } | null | undefined)?.action;
  const tasks = tasksOf(lambda);
  return tasks.length === 1 ? tasks[0] : tasks.find((t) => t.action !== undefined && t.action === action);
}
