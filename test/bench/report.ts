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
  /** With `--repeat`: how many runs, and the lowest and highest ratio among them. */
  runs?: number;
  ratioRange?: [number, number];
  [extra: string]: unknown;
}

/**
 * The rows of several runs of one benchmark, each row the run in the middle by its ratio (or, with
 * no ratio, by its time), with the range of the ratio over the runs and the highest peak RSS.
 * `ok` is the median run's. The runs must print the same rows in the same order.
 */
export function medianRows(runs: BenchRow[][]): BenchRow[] {
  if (runs.length === 1) return runs[0]!;
  return runs[0]!.map((first, i) => {
    const same = runs.map((rows) => rows[i]);
    if (same.some((r) => r?.name !== first.name)) throw new Error(`the runs printed different rows at ${i + 1}: ${same.map((r) => r?.name).join(' / ')}`);
    const rows = same as BenchRow[];
    const key = (r: BenchRow) => r.ratio ?? r.seconds ?? 0;
    const median = [...rows].sort((a, b) => key(a) - key(b))[Math.floor((rows.length - 1) / 2)]!;
    const ratios = rows.map((r) => r.ratio).filter((r): r is number => typeof r === 'number');
    const rss = rows.map((r) => r.peakRssMb).filter((r): r is number => typeof r === 'number');
    return {
      ...median,
      runs: rows.length,
      ...(ratios.length ? { ratioRange: [Math.min(...ratios), Math.max(...ratios)] as [number, number] } : {}),
      ...(rss.length ? { peakRssMb: Math.max(...rss) } : {}),
    };
  });
}

const num = (v: unknown, digits = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '');

export function formatTable(rows: BenchRow[]): string {
  const repeated = rows.some((r) => r.ratioRange);
  const header = ['suite', 'name', 'rows', 'seconds', 'rows/s', 'peak RSS MB', repeated ? 'ratio (median)' : 'ratio', ...(repeated ? ['ratio range'] : []), 'reference', 'target', 'ok'];
  const body = rows.map((r) => [
    r.suite ?? '',
    r.name,
    num(r.rows),
    num(r.seconds, 2),
    num(r.rowsPerSecond),
    num(r.peakRssMb),
    typeof r.ratio === 'number' ? `${num(r.ratio, 2)}×` : '',
    ...(repeated ? [r.ratioRange ? `${num(r.ratioRange[0], 2)}–${num(r.ratioRange[1], 2)}× (${r.runs} runs)` : ''] : []),
    r.reference ?? '',
    r.target ?? '',
    r.ok === undefined ? '' : r.ok ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
