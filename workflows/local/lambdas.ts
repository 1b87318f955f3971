import { newContainer, runInContainer, type Container } from '../../functions/_shared/container.ts';

/** What Step Functions reports when Lambda refuses a synchronous invocation past the function's concurrency. */
export const LAMBDA_THROTTLED = 'Lambda.TooManyRequestsException';

export class LambdaThrottled extends Error {
  override name = LAMBDA_THROTTLED;
}

/**
 * The Lambda service for the local runner: each function's containers, and its reserved
 * concurrency enforced as Lambda enforces it.
 *
 * Primary course:
 * 1. An invocation takes an idle container of its function (warm) or starts a new one (cold): its
 *    handler runs inside that container, with the container's own database connection and bounds,
 *    so concurrent chunks each hold a connection, as on AWS.
 * 2. When the function already runs as many invocations as its reserved concurrency, the
 *    invocation is refused at once with Lambda.TooManyRequestsException (a synchronous invoke is
 *    not queued), which the state machine's Retry sees as on AWS.
 *
 * One instance is shared by every LocalWorkflow of a process (reserved concurrency is per
 * function, not per execution); tests pass their own.
 */
export class LocalLambdas {
  private readonly idle = new Map<string, Container[]>();
  private readonly running = new Map<string, number>();
  /** Refused invocations, by function. */
  readonly throttled = new Map<string, number>();
  /** The most invocations that ran at once, by function. */
  readonly peak = new Map<string, number>();

  constructor(private readonly reservedConcurrency: Readonly<Record<string, number>> = {}) {}

  async invoke<T>(fn: string, work: () => Promise<T>): Promise<T> {
    const running = this.running.get(fn) ?? 0;
    const reserved = this.reservedConcurrency[fn];
    if (reserved !== undefined && running >= reserved) {
      this.throttled.set(fn, (this.throttled.get(fn) ?? 0) + 1);
      throw new LambdaThrottled(`Rate Exceeded. (${fn}: ${running} running, reserved concurrency ${reserved})`);
    }
    this.running.set(fn, running + 1);
    this.peak.set(fn, Math.max(this.peak.get(fn) ?? 0, running + 1));
    const idle = this.idle.get(fn) ?? [];
    this.idle.set(fn, idle);
    const container = idle.pop() ?? newContainer();
    try {
      return await runInContainer(container, work);
    } finally {
      this.running.set(fn, (this.running.get(fn) ?? 1) - 1);
      idle.push(container);
    }
  }
}

/** The process's Lambda service: no reservations (dev's account), containers shared by every local workflow. */
export const localLambdas = new LocalLambdas();
