/**
 * Exit codes every command keeps: 0 ok, 1 a check failed, 2 bad usage or input (or could not run),
 * 3 done with errors (an import completed with rejected rows or field warnings).
 */
export const EXIT = { ok: 0, checkFailed: 1, usage: 2, withErrors: 3 } as const;

/** Thrown for bad usage or input: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
