/**
 * A raw record's JSON as discovery reads it: numbers a double cannot hold exactly
 * (12345678901234567890, 1e400, 1.50) stay their literal text, so no digit is lost on the way to
 * an asset or a custom attribute.
 */
// A number token (after ":", "[" or "," in jsonb's text) that a double may not hold as written:
// 16+ digits, an exponent, a trailing fractional zero, -0. Only such rows take the slower reviver.
const INEXACT_NUMBER = /[:[,] ?(?:-?\d{16}|-?\d+(?:\.\d+)?[eE]|-?\d+\.\d*0[,}\]]|-0[,}\]])/;

export function parseRawData(text: string): Record<string, unknown> {
  if (!INEXACT_NUMBER.test(text)) return JSON.parse(text) as Record<string, unknown>;
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined && String(value) !== context.source ? context.source : value,
  ) as Record<string, unknown>;
}
