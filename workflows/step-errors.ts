/**
 * Errors a workflow step throws. Step Functions matches Retry/Catch on the error's `name`
 * (locally and on AWS alike), so each name is part of the workflow's contract.
 */

/**
 * Why a file is refused, as a code: the outcome report chooses its advice from it (never from the
 * message text, which carries the file's name), and it is stored with the import (error_details.reason).
 */
export type InvalidImportReason =
  | 'encoding' // bytes not valid in the file's encoding
  | 'field-count' // a row with more or fewer fields than the header
  | 'unclosed-quote' // a quoted value never closed, or a quote where none may be
  | 'no-data' // no header, or a header and no rows
  | 'not-inventory' // not a text inventory at all (an image, an archive, NUL characters)
  | 'invalid-json' // JSON that does not parse, or is not objects
  | 'other';

/** The dropped file cannot be imported as it is (encoding, format, structure). Not retried. */
export class InvalidImportError extends Error {
  override name = 'InvalidImportError';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly reason: InvalidImportReason = 'other',
  ) {
    super(message);
  }
}

/**
 * The execution input carries a setting out of its bounds (an execution started by hand with an
 * edited input): the file is not at fault. Not retried.
 */
export class InvalidExecutionInputError extends Error {
  override name = 'InvalidExecutionInputError';
}

/**
 * More of the file's rows were rejected than the environment tolerates (maxRejectedRowsPercent):
 * the rows are stored, the import fails, the reports name every rejected row. Not retried.
 */
export class TooManyRejectedRowsError extends Error {
  override name = 'TooManyRejectedRowsError';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The integrity checks found violations for the flow. Not retried. */
export class IntegrityViolationError extends Error {
  override name = 'IntegrityViolationError';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A row the step needs is missing (an import, a master flow). Not retried. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** A tenant that does not exist, or an engagement of another client. Not retried. */
export class TenantError extends Error {
  override name = 'TenantError';
}

/** A count that must match did not (linked rows vs stored rows). Not retried. */
export class LinkCountMismatchError extends Error {
  override name = 'LinkCountMismatchError';
}

/** Discovery's totals do not add up: a raw record with neither an asset nor a recorded skip. Not retried. */
export class DiscoveryCountMismatchError extends Error {
  override name = 'DiscoveryCountMismatchError';
}

/** Connection loss, throttling, serialization failure: the workflow retries these with backoff. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/**
 * A Catch's Cause: on AWS the Lambda error as JSON `{errorType, errorMessage, trace}`, locally the
 * message itself. Returns the message (null when there is none) and the detail that came with it
 * (the parsed JSON, else the text).
 */
export function parseCause(cause: string | null | undefined): { message: string | null; detail: unknown } {
  if (!cause) return { message: null, detail: null };
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown } | null;
    if (parsed && typeof parsed === 'object' && typeof parsed.errorMessage === 'string') return { message: parsed.errorMessage, detail: parsed };
  } catch {
    // a plain message
  }
  return { message: cause, detail: cause };
}

/**
 * SQLSTATEs worth another attempt (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * the whole class 08 (connection exception), serialization failure and deadlock, too many
 * connections, the server shutting down or starting up (57P01-57P03), and lock_not_available
 * (55P03: our own lock_timeout, e.g. behind an earlier attempt that has not released its locks yet).
 */
const TRANSIENT_SQLSTATE = /^(08[0-9A-Z]{3}|40001|40P01|53300|57P0[123]|55P03)$/;

/**
 * Connection-level failures as the drivers report them. postgres.js: `code` CONNECTION_CLOSED /
 * _ENDED / _DESTROYED and CONNECT_TIMEOUT. Node sockets (both drivers, the AWS SDK): errno codes.
 */
const TRANSIENT_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_SOCKET_CLOSED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * node-postgres (pg, pg-pool) throws its connection failures as plain Errors with no code; these
 * are its messages (pg/lib/client.js, pg-pool/index.js), matched whole.
 */
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated( unexpectedly| due to connection timeout)?$/,
  /^timeout expired$/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
];

/** AWS SDK errors that say "try again" (throttling, 5xx, timeouts) beside its own `$retryable`. */
const TRANSIENT_AWS_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'InternalServiceError',
  'InternalServiceErrorException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

type Candidate = { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };

/** The error and everything it wraps (Drizzle's DrizzleQueryError, pg-pool's cause, AggregateError of several addresses). */
function* chain(err: unknown, depth = 0): Generator<Candidate> {
  if (!err || typeof err !== 'object' || depth > 5) return;
  const e = err as Candidate;
  yield e;
  if (e.cause) yield* chain(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
}

/** True when `err` (or what it wraps) is a failure another attempt may not meet: connection, contention, throttling. */
export function isTransient(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e.name === 'TransientError') return true;
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_CODES.has(code))) return true;
    if (typeof e.message === 'string' && !code && PG_CONNECTION_MESSAGES.some((m) => m.test(e.message as string))) return true;
    if (e.$retryable || (typeof e.name === 'string' && TRANSIENT_AWS_NAMES.has(e.name))) return true;
    const status = e.$metadata?.httpStatusCode;
    if (status !== undefined && (status === 429 || status >= 500)) return true;
  }
  return false;
}

/**
 * Re-labels infrastructure failures as TransientError so the state machine's Retry (which matches
 * names) can tell them from bad input; everything else is rethrown as it is. The step's own named
 * errors (InvalidImportError, TenantError, ...) are never re-labelled.
 */
export function classifyError(err: unknown): unknown {
  if (
    err instanceof Error &&
    ['InvalidImportError', 'TooManyRejectedRowsError', 'IntegrityViolationError', 'NotFoundError', 'TenantError', 'LinkCountMismatchError', 'TransientError'].includes(err.name)
  )
    return err;
  if (!isTransient(err)) return err;
  const e = err as { message?: string };
  const t = new TransientError(e?.message ?? String(err));
  (t as { cause?: unknown }).cause = err;
  return t;
}
