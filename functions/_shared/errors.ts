/**
 * Errors a workflow step throws. Step Functions matches Retry/Catch on the error's `name`
 * (locally and on AWS alike), so each name is part of the workflow's contract.
 */

/** The dropped file cannot be imported as it is (encoding, format, structure). Not retried. */
export class InvalidImportError extends Error {
  override name = 'InvalidImportError';
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** The integrity checks found violations for the flow. Not retried. */
export class IntegrityViolationError extends Error {
  override name = 'IntegrityViolationError';
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
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

const TRANSIENT_PG_CODES = new Set(['40001', '40P01', '53300', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const TRANSIENT_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

/**
 * Re-labels infrastructure failures as TransientError so the state machine's Retry (which matches
 * names) can tell them from bad input; everything else is rethrown as it is.
 */
export function classifyError(err: unknown): unknown {
  const e = err as { code?: string; name?: string; cause?: { code?: string }; $retryable?: unknown; message?: string };
  const code = e?.code ?? e?.cause?.code;
  if ((code && (TRANSIENT_PG_CODES.has(code) || TRANSIENT_NODE_CODES.has(code))) || e?.$retryable || e?.name === 'ThrottlingException') {
    const t = new TransientError(e?.message ?? String(err));
    (t as { cause?: unknown }).cause = err;
    return t;
  }
  return err;
}
