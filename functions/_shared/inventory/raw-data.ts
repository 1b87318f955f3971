/**
 * A raw record's JSON as discovery reads it: numbers a double cannot hold exactly
 * (12345678901234567890, 1e400, 1.50) stay their literal text, so no digit is lost on the way to
 * an asset or a custom attribute.
 */
const INEXACT_NUMBER = /\d{16}|\d[eE]|\.\d*0(?!\d)|-0(?![.\d])/;

export function parseRawData(text: string): Record<string, unknown> {
  if (!INEXACT_NUMBER.test(text)) return JSON.parse(text) as Record<string, unknown>;
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined && String(value) !== context.source ? context.source : value,
  ) as Record<string, unknown>;
}
