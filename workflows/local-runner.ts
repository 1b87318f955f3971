import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { SfnLike } from '../functions/trigger/trigger.ts';
import { executionInput, type ExecutionInput } from './contracts.ts';
import { join } from 'node:path';
import {
  LOCAL_TASK_STATES, loadDefinition, localSubstitutions, PUBLISH_STATES, REDRIVE_STATES, STEP_FUNCTIONS, TASK_FUNCTIONS, TASK_STATES,
  type LocalTaskState, type StepFunction,
} from './definition.ts';
import { ExecutionStore, type ExecutionRecord, type RecordedEvent } from './execution-store.ts';
import { LocalEventBus } from './local-events.ts';

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
  afterStep?: (state: LocalTaskState, input: unknown, output: unknown) => Promise<void> | void;
  onEvent?: (event: ProgressEvent) => void;
  /** Milliseconds to wait between retries, by state (tests: 0). Default: the definition's backoff. */
  retryIntervalOverrides?: Record<string, number | number[]>;
}

export class ExecutionNotRedrivable extends Error {
  override name = 'ExecutionNotRedrivable';
}

type LocalHandlers = NonNullable<NonNullable<NonNullable<Parameters<StateMachine['run']>[1]>['overrides']>['taskResourceLocalHandlers']>;

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:flowlink-import';

/** The Lambda context a handler receives in-process. */
function lambdaContext(state: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `flowlink-${state}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:flowlink-${state}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/flowlink-${state}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
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
async function lambdaTasks(bus: LocalEventBus): Promise<Record<LocalTaskState, TaskFn>> {
  const modules = await Promise.all([
    import('../functions/store-import/handler.ts'),
    import('../functions/create-master-flow/handler.ts'),
    import('../functions/link-records/handler.ts'),
    import('../functions/start-discovery/handler.ts'),
    import('../functions/validate-integrity/handler.ts'),
    import('../functions/mark-failed/handler.ts'),
    import('../functions/report-outcome/handler.ts'),
  ]);
  const [report] = modules.splice(STEP_FUNCTIONS.length, 1) as [{ handler: unknown }];
  const handlers = Object.fromEntries(STEP_FUNCTIONS.map((fn, i) => [fn, modules[i]!.handler])) as Record<StepFunction, unknown>;
  const call = (fn: string, handler: unknown): TaskFn =>
    (input) => (handler as (event: never, context: Context) => Promise<unknown>)(input as never, lambdaContext(fn));
  return {
    ...Object.fromEntries(TASK_STATES.map((state) => [state, call(TASK_FUNCTIONS[state], handlers[TASK_FUNCTIONS[state]])])),
    ReportSucceeded: call('ReportOutcome', report.handler),
    ReportFailed: call('ReportOutcome', report.handler),
    ...Object.fromEntries(PUBLISH_STATES.map((state) => [state, (input: unknown) => bus.putEvents(input)])),
  } as Record<LocalTaskState, TaskFn>;
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
    const next = [state.Next, state.Default, ...((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next)];
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
  private readonly definition = loadDefinition(localSubstitutions());
  private readonly running = new Map<string, Promise<ExecutionRecord>>();
  readonly events: LocalEventBus;
  private tasks?: Promise<Record<LocalTaskState, TaskFn>>;

  constructor(private readonly options: LocalRunnerOptions = {}) {
    this.store = options.store ?? new ExecutionStore();
    this.events = new LocalEventBus(options.eventLog ?? join(this.store.dir, '..', 'events.ndjson'));
  }

  /** StartExecution: records the execution, starts it and returns at once (wait() for the end). */
  async startExecution(params: { stateMachineArn?: string; name: string; input: string }): Promise<{ executionArn: string }> {
    const input = executionInput.parse(JSON.parse(params.input));
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
   * Redrive (AWS RedriveExecution): the same execution continues from the Task state that failed,
   * with the input that state had recorded; the states before it are not run again.
   */
  async redrive(name: string): Promise<ExecutionRecord> {
    const record = this.store.get(name);
    if (record.status !== 'FAILED') throw new ExecutionNotRedrivable(`execution ${name} is ${record.status}: only a failed execution can be redriven`);
    const attempt = record.events.slice(record.events.findLastIndex((e) => e.type === 'ExecutionRedriven') + 1);
    // a top-level step (a Map state whose chunk failed included): on AWS a redriven Map runs its
    // failed chunks again; here it runs them all again, which the chunks' idempotency makes the same
    const failedAt = attempt.findIndex((e) => e.type === 'StateFailed' && e.index === undefined && REDRIVE_STATES.includes(e.state ?? ''));
    if (failedAt === -1) throw new ExecutionNotRedrivable(`execution ${name} has no failed Task state to continue from`);
    const state = attempt[failedAt]!.state!;
    const entered = attempt.slice(0, failedAt).findLast((e) => e.type === 'StateEntered' && e.state === state && e.index === undefined);
    if (!entered) throw new ExecutionNotRedrivable(`execution ${name}: the input of ${state} was not recorded`);
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
      name, executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`, input, status: 'RUNNING',
      startedAt: new Date().toISOString(), stoppedAt: null, redriveCount: 0, replayOf, output: null, error: null, events: [],
    };
  }

  private async taskHandlers(): Promise<LocalHandlers> {
    this.tasks ??= lambdaTasks(this.events);
    const defaults = await this.tasks;
    return Object.fromEntries(LOCAL_TASK_STATES.map((state) => {
      const task = this.options.tasks?.[state] ?? defaults[state];
      const run = async (input: unknown) => {
        const output = await task(input);
        await this.options.afterStep?.(state, input, output);
        return output;
      };
      return [state, run as never];
    }));
  }

  private async execute(record: ExecutionRecord, definition: StateMachineDefinition | ReturnType<typeof loadDefinition>, input: unknown): Promise<ExecutionRecord> {
    const machine = new StateMachine(definition as StateMachineDefinition);
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: await this.taskHandlers(), retryIntervalOverrides: this.options.retryIntervalOverrides ?? {} },
      context: { Execution: { Input: record.input, Name: record.name, StartTime: record.startedAt } },
    });
    const enteredAt = new Map<string, number>();
    const consume = (async () => {
      for await (const e of run.eventLogs) {
        const ev = e as { type: string; timestamp: number; state?: { name: string; input?: unknown; output?: unknown };
          Error?: string; Cause?: unknown; retry?: { attempt: number }; output?: unknown; index?: number; parentState?: { name: string } };
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
      record.status = 'FAILED';
      const cause = (err as { cause?: { name?: string; message?: string } }).cause;
      record.error ??= { name: cause?.name ?? (err as Error).name, cause: cause?.message ?? (err as Error).message };
    }
    await consume;
    record.stoppedAt = new Date().toISOString();
    this.store.save(record);
    return record;
  }
}
