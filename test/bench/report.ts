/** One line of the benchmark table; `ratio` compares to `reference`, measured in the same run. */
export interface BenchRow {
  suite?: string;
  name: string;
  rows?: number;
  seconds?: number;
  rowsPerSecond?: number;
  peakRssMb?: number;
  reference?: string;
  ratio?: number;
  target?: string;
  ok?: boolean;
  note?: string;
  [extra: string]: unknown;
}

const num = (v: unknown, digits = 0) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '';

export function formatTable(rows: BenchRow[]): string {
  const header = ['suite', 'name', 'rows', 'seconds', 'rows/s', 'peak RSS MB', 'ratio', 'reference', 'target', 'ok'];
  const body = rows.map((r) => [
    r.suite ?? '', r.name, num(r.rows), num(r.seconds, 2), num(r.rowsPerSecond), num(r.peakRssMb),
    typeof r.ratio === 'number' ? `${num(r.ratio, 2)}×` : '', r.reference ?? '', r.target ?? '',
    r.ok === undefined ? '' : r.ok ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
