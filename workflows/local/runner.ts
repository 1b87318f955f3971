import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { SfnLike } from '../../functions/trigger/trigger.ts';
import { executionInput, type ExecutionInput } from '../contracts.ts';
import { join } from 'node:path';
import { LOCAL_TASK_STATES, loadDefinition, localSubstitutions, PUBLISH_STATES, STEP_FUNCTIONS, TASK_FUNCTIONS, TASK_STATES, type LocalTaskState, type StepFunction } from '../definition.ts';
import { ExecutionStore, type ExecutionRecord, type RecordedEvent } from './execution-store.ts';
import { LocalEventBus } from './events.ts';
import { localLambdas, type LocalLambdas } from './lambdas.ts';
import { LAMBDAS, STEP_TASKS } from '../steps.ts';

/** A Task state's work: receives the post-Parameters payload, returns the result (like a Lambda ARN task). */
export type TaskFn = (input: unknown) => Promise<unknown>;

/** One event of a running execution, as streamed to `onEvent`. */
export interface ProgressEvent extends RecordedEvent {
  execution: string;
  /** Milliseconds since the state was entered (on StateExited/StateFailed). */
  durationMs?: number;
}

export interface LocalRunnerOptions {
  store?: ExecutionStore;
  /**
   * Replaces a Task's handler (default: the step's Lambda handler, called in-process; for the
   * putEvents states, the local event bus).
   */
  tasks?: Partial<Record<LocalTaskState, TaskFn>>;
  /** Where the putEvents states append their events (default: the store's folder's events.ndjson). */
  eventLog?: string;
  /**
   * Runs after a Task's handler returned and before its result goes back to the state machine:
   * throwing here is a crash after the step's writes (tests use it for redrives and sabotage).
   */
  afterStep?: (state: LocalTaskState, input: unknown, output: unknown, execution: ExecutionControl) => Promise<void> | void;
  onEvent?: (event: ProgressEvent) => void;
  /** Milliseconds to wait between retries, by state (tests: 0). Default: the definition's backoff. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Runs before a Task's handler is called (tests use it to tell a fault proxy which step is talking). */
  beforeStep?: (state: LocalTaskState, input: unknown) => void;
  /**
   * What each step's handler reads as its Lambda's remaining time, in ms (it bounds itself by the
   * smaller of this and its Task's TimeoutSeconds). Default: the Lambda's timeout (workflows/steps.ts).
   */
  stepBudgetMs?: number;
  /**
   * Whether startExecution refuses an input the contract refuses (default true). AWS starts any
   * JSON by hand: false starts it as given, so tests see what the definition makes of it.
   */
  validateInput?: boolean;
  /**
   * The Lambda service the Task states invoke: containers per function and reserved concurrency
   * (default: the process's, no reservations). Share one between workflows to share the limits.
   */
  lambdas?: LocalLambdas;
  /**
   * Runs each distributed Map as AWS reports it: a chunk that fails stays inside its child
   * execution, and the Map fails with States.ExceedToleratedFailureThreshold (the Maps tolerate no
   * failure). Default: the chunk's own error reaches the Map, as an inline Map reports it.
   */
  distributedMaps?: boolean;
}

/** What a hook may do to the execution it runs in. */
export interface ExecutionControl {
  name: string;
  /**
   * Stops the execution while the current Task is still running, as StopExecution (ABORTED) or the
   * execution's own TimeoutSeconds (TIMED_OUT) do on AWS: the Task's result never reaches the state
   * machine, no Catch runs, and a redrive continues from that Task.
   */
  stop(status?: 'ABORTED' | 'TIMED_OUT'): never;
}

/** Thrown (by ExecutionControl.stop) inside a Task after the execution was stopped. */
class ExecutionStopped extends Error {
  override name = 'ExecutionStopped';
}

export class ExecutionNotRedrivable extends Error {
  override name = 'ExecutionNotRedrivable';
}

type LocalHandlers = NonNullable<NonNullable<NonNullable<Parameters<StateMachine['run']>[1]>['overrides']>['taskResourceLocalHandlers']>;

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:flowlink-import';

/** The Lambda context a handler receives in-process. */
function lambdaContext(state: string, budgetMs: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `flowlink-${state}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:flowlink-${state}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/flowlink-${state}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => budgetMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * The steps' Lambda handlers, imported on first use (after the caller has set DATABASE_URL and
 * S3_ENDPOINT, which the handlers read when they first connect), one per Task state: the Task
 * states of one Lambda (LinkChunk and FinishLink, ...) call the same handler, as on AWS.
 */
async function lambdaTasks(bus: LocalEventBus, budgetMs: (state: string) => number): Promise<Record<LocalTaskState, TaskFn>> {
  const modules = await Promise.all([
    // in STEP_FUNCTIONS order (workflows/steps.ts), the outcome report last
    import('../../functions/store-import/handler.ts'),
    import('../../functions/create-master-flow/handler.ts'),
    import('../../functions/link-records/handler.ts'),
    import('../../functions/start-discovery/handler.ts'),
    import('../../functions/reconcile-inventory/handler.ts'),
    import('../../functions/validate-integrity/handler.ts'),
    import('../../functions/mark-failed/handler.ts'),
    import('../../functions/report-outcome/handler.ts'),
  ]);
  const [report] = modules.splice(STEP_FUNCTIONS.length, 1) as [{ handler: unknown }];
  const handlers = Object.fromEntries(STEP_FUNCTIONS.map((fn, i) => [fn, modules[i]!.handler])) as Record<StepFunction, unknown>;
  const call =
    (state: string, fn: string, handler: unknown): TaskFn =>
    (input) =>
      (handler as (event: never, context: Context) => Promise<unknown>)(input as never, lambdaContext(fn, budgetMs(state)));
  return {
    ...Object.fromEntries(TASK_STATES.map((state) => [state, call(state, TASK_FUNCTIONS[state], handlers[TASK_FUNCTIONS[state]])])),
    ReportSucceeded: call('ReportSucceeded', 'ReportOutcome', report.handler),
    ReportFailed: call('ReportFailed', 'ReportOutcome', report.handler),
    ...Object.fromEntries(PUBLISH_STATES.map((state) => [state, (input: unknown) => bus.putEvents(input)])),
  } as Record<LocalTaskState, TaskFn>;
}

/** The Lambda function a Task state invokes (none for the putEvents states). */
function lambdaOf(state: LocalTaskState): string | undefined {
  if ((PUBLISH_STATES as readonly string[]).includes(state)) return undefined;
  return state in TASK_FUNCTIONS ? TASK_FUNCTIONS[state as keyof typeof TASK_FUNCTIONS] : 'ReportOutcome';
}

/** What a distributed Map Run reports when a child execution failed and no failure is tolerated. */
export const MAP_RUN_FAILED = { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'The specified tolerated failure threshold was exceeded' } as const;

/**
 * The definition with each distributed Map's processor wrapped so that a failed child surfaces as
 * a Map Run does on AWS: the child's error stays in the child (its events), and the Map fails with
 * MAP_RUN_FAILED, whatever the child's error was.
 */
export function distributedAsOnAws(definition: ReturnType<typeof loadDefinition>): ReturnType<typeof loadDefinition> {
  // biome-ignore lint/suspicious/noExplicitAny: ASL states are free-form JSON, rewritten in place here
  const copy = structuredClone(definition) as { States: Record<string, Record<string, any>> };
  for (const [name, state] of Object.entries(copy.States)) {
    if (state.Type !== 'Map' || state.ItemProcessor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') continue;
    const { ProcessorConfig, ...processor } = state.ItemProcessor;
    state.ItemProcessor = {
      ProcessorConfig,
      StartAt: `${name}Child`,
      States: {
        [`${name}Child`]: {
          Type: 'Parallel',
          Branches: [processor],
          OutputPath: '$[0]',
          End: true,
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: `${name}MapRunFailed` }],
        },
        [`${name}MapRunFailed`]: { Type: 'Fail', ...MAP_RUN_FAILED },
      },
    };
  }
  return copy as unknown as ReturnType<typeof loadDefinition>;
}

/**
 * The definition cut down to what a redrive runs: StartAt moves to the failed state, and the states
 * no longer reachable from it are dropped (the local validator refuses unreachable states).
 */
export function definitionFrom(definition: ReturnType<typeof loadDefinition>, startAt: string): StateMachineDefinition {
  const reachable = new Set<string>();
  const visit = (name: string) => {
    if (reachable.has(name)) return;
    const state = definition.States[name];
    if (!state) throw new Error(`the definition has no state ${name}`);
    reachable.add(name);
    const next = [
      state.Next,
      state.Default,
      ...((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
    ];
    for (const n of next) if (typeof n === 'string') visit(n);
  };
  visit(startAt);
  const States = Object.fromEntries(Object.entries(definition.States).filter(([name]) => reachable.has(name)));
  return { ...definition, StartAt: startAt, States } as unknown as StateMachineDefinition;
}

/**
 * Step Functions on this machine: runs the deployed ASL with aws-local-stepfunctions, every Task
 * overridden to call the step's handler in-process, and keeps each execution (input, status,
 * events) in an ExecutionStore so it can be listed, replayed and redriven.
 *
 * Implements the trigger's SfnLike port: startExecution refuses a name already used with
 * ExecutionAlreadyExists, like AWS.
 */
export class LocalWorkflow implements SfnLike {
  readonly stateMachineArn = STATE_MACHINE_ARN;
  readonly store: ExecutionStore;
  private readonly source = loadDefinition(localSubstitutions());
  private readonly definition: ReturnType<typeof loadDefinition>;
  private readonly running = new Map<string, Promise<ExecutionRecord>>();
  readonly events: LocalEventBus;
  private tasks?: Promise<Record<LocalTaskState, TaskFn>>;

  constructor(private readonly options: LocalRunnerOptions = {}) {
    this.store = options.store ?? new ExecutionStore();
    this.definition = options.distributedMaps ? distributedAsOnAws(this.source) : this.source;
    this.events = new LocalEventBus(options.eventLog ?? join(this.store.dir, '..', 'events.ndjson'));
  }

  /** StartExecution: records the execution, starts it and returns at once (wait() for the end). */
  async startExecution(params: { stateMachineArn?: string; name: string; input: string }): Promise<{ executionArn: string }> {
    const raw = JSON.parse(params.input) as ExecutionInput;
    const input = this.options.validateInput === false ? raw : executionInput.parse(raw);
    const record = this.newRecord(params.name, input, null);
    await this.store.create(record);
    this.running.set(record.name, this.execute(record, this.definition, input));
    return { executionArn: record.executionArn };
  }

  /** The execution's final record (waits while it runs in this process). */
  async wait(name: string): Promise<ExecutionRecord> {
    return (await this.running.get(name)) ?? this.store.get(name);
  }

  /** Start again (the console's "New execution" with the same input): a new execution from the first state. */
  async replay(name: string): Promise<ExecutionRecord> {
    const original = this.store.get(name);
    const base = original.replayOf ?? original.name;
    const taken = new Set(this.store.list().map((r) => r.name));
    let n = 1;
    while (taken.has(`${base}-replay-${n}`)) n++;
    const record = this.newRecord(`${base}-replay-${n}`, original.input, base);
    await this.store.create(record);
    return this.track(record.name, this.execute(record, this.definition, original.input));
  }

  /**
   * Redrive (AWS RedriveExecution): the same execution continues from its unsuccessful state, the
   * last state of the last attempt that was entered and never exited, with the input that state
   * had recorded; the states before it are not run again. As on AWS: an execution whose step error
   * was caught ended in the Fail state `Failed`, so its redrive re-enters `Failed` and fails again;
   * one stopped or timed out while a Task ran continues from that Task.
   */
  async redrive(name: string): Promise<ExecutionRecord> {
    const record = this.store.get(name);
    if (!['FAILED', 'ABORTED', 'TIMED_OUT'].includes(record.status)) {
      throw new ExecutionNotRedrivable(`execution ${name} is ${record.status}: only a failed, aborted or timed-out execution can be redriven`);
    }
    const attempt = record.events.slice(record.events.findLastIndex((e) => e.type === 'ExecutionRedriven') + 1);
    // AWS redrives from the state where the execution stopped: the last top-level state entered and
    // never exited (the Fail state after a caught error; the running step after an abort or a
    // timeout; a Map state whose chunk stopped: on AWS it reruns its unsuccessful chunks, here all
    // of them, which the chunks' idempotency makes the same)
    const topLevel = attempt.filter((e) => e.index === undefined);
    const entered = topLevel.findLast((e, i) => e.type === 'StateEntered' && !topLevel.slice(i + 1).some((x) => x.type === 'StateExited' && x.state === e.state));
    if (!entered?.state) throw new ExecutionNotRedrivable(`execution ${name} has no unsuccessful state to continue from`);
    const state = entered.state;
    record.status = 'RUNNING';
    record.redriveCount += 1;
    record.stoppedAt = null;
    record.error = null;
    record.output = null;
    record.events.push({ type: 'ExecutionRedriven', state, at: new Date().toISOString(), input: entered.input });
    this.store.save(record);
    return this.track(name, this.execute(record, definitionFrom(this.definition, state), entered.input));
  }

  private track(name: string, run: Promise<ExecutionRecord>) {
    this.running.set(name, run);
    return run;
  }

  private newRecord(name: string, input: ExecutionInput, replayOf: string | null): ExecutionRecord {
    return {
      name,
      executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`,
      input,
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      redriveCount: 0,
      replayOf,
      output: null,
      error: null,
      events: [],
    };
  }

  private async taskHandlers(control: ExecutionControl): Promise<LocalHandlers> {
    // as on AWS, a handler sees its Lambda's timeout as its remaining time and bounds itself by its Task's (workflows/steps.ts)
    this.tasks ??= lambdaTasks(this.events, (state) => this.options.stepBudgetMs ?? LAMBDAS[STEP_TASKS[state]!.lambda].timeoutS * 1000);
    const defaults = await this.tasks;
    const lambdas = this.options.lambdas ?? localLambdas;
    return Object.fromEntries(
      LOCAL_TASK_STATES.map((state) => {
        const task = this.options.tasks?.[state] ?? defaults[state];
        const fn = lambdaOf(state);
        const run = async (input: unknown) => {
          this.options.beforeStep?.(state, input);
          // a Lambda Task runs in one of its function's containers, within the function's reserved concurrency
          const output = fn ? await lambdas.invoke(fn, () => task(input)) : await task(input);
          await this.options.afterStep?.(state, input, output, control);
          return output;
        };
        return [state, run as never];
      }),
    );
  }

  private async execute(record: ExecutionRecord, definition: StateMachineDefinition | ReturnType<typeof loadDefinition>, input: unknown): Promise<ExecutionRecord> {
    const machine = new StateMachine(definition as StateMachineDefinition);
    let stopped: 'ABORTED' | 'TIMED_OUT' | undefined;
    let abort = () => {};
    const control: ExecutionControl = {
      name: record.name,
      stop: (status = 'ABORTED') => {
        stopped = status;
        abort();
        throw new ExecutionStopped(`execution ${record.name} was stopped (${status})`);
      },
    };
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: await this.taskHandlers(control), retryIntervalOverrides: this.options.retryIntervalOverrides ?? {} },
      context: { Execution: { Input: record.input, Name: record.name, StartTime: record.startedAt } },
    });
    abort = run.abort;
    const enteredAt = new Map<string, number>();
    const consume = (async () => {
      for await (const e of run.eventLogs) {
        const ev = e as {
          type: string;
          timestamp: number;
          state?: { name: string; input?: unknown; output?: unknown };
          Error?: string;
          Cause?: unknown;
          retry?: { attempt: number };
          output?: unknown;
          index?: number;
          parentState?: { name: string };
        };
        const recorded: RecordedEvent = { type: ev.type, at: new Date(ev.timestamp).toISOString() };
        if (ev.state) recorded.state = ev.state.name;
        if (ev.index !== undefined) recorded.index = ev.index;
        if (ev.parentState) recorded.parent = ev.parentState.name;
        if (ev.type === 'StateEntered') recorded.input = ev.state?.input;
        if (ev.type === 'StateExited') recorded.output = ev.state?.output;
        if (ev.Error !== undefined) Object.assign(recorded, { error: ev.Error, cause: ev.Cause });
        if (ev.retry) recorded.attempt = ev.retry.attempt;
        record.events.push(recorded);
        const progress: ProgressEvent = { ...recorded, execution: record.name };
        const key = `${ev.state?.name}#${ev.index ?? ''}`;
        if (ev.state && ev.type === 'StateEntered') enteredAt.set(key, ev.timestamp);
        else if (ev.state && (ev.type === 'StateExited' || ev.type === 'StateFailed')) progress.durationMs = ev.timestamp - (enteredAt.get(key) ?? ev.timestamp);
        if (ev.type === 'ExecutionSucceeded') record.output = ev.output;
        if (ev.type === 'ExecutionFailed') record.error = { name: ev.Error ?? 'Error', cause: ev.Cause ?? null };
        this.options.onEvent?.(progress);
        // saved as each top-level state ends (not per chunk: the record grows with every event)
        if (ev.type === 'StateExited' && ev.index === undefined) this.store.save(record);
      }
    })();
    try {
      await run.result;
      record.status = 'SUCCEEDED';
    } catch (err) {
      record.status = stopped ?? ((err as Error).name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED');
      const cause = (err as { cause?: { name?: string; message?: string } }).cause;
      record.error ??= { name: cause?.name ?? (err as Error).name, cause: cause?.message ?? (err as Error).message };
    }
    await consume;
    record.stoppedAt = new Date().toISOString();
    this.store.save(record);
    return record;
  }
}
