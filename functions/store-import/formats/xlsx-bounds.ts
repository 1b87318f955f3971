import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * A workbook gets the CSV's bounds: no cell or row larger than the row limit, and no archive that
 * inflates past a multiple of its own size. exceljs holds the shared strings in memory and builds
 * each row whole, so the bounds are enforced on the inflated XML as it streams, before a
 * string or row grows in memory: the refusal costs what one row does.
 */
export interface XlsxBounds {
  /** The largest row (and so the largest cell) in bytes of XML: the CSV reader's record limit. */
  maxRecordSize: number;
  /** The most bytes all the workbook's parts may inflate to. */
  maxInflatedBytes: number;
}

/** How many times its own size a workbook may inflate to (highly repetitive sheets reach ~50×). */
export const MAX_INFLATION = 200;
/** Inflating to this much is allowed whatever the file's size. */
export const MIN_INFLATED_BUDGET = 64 * 1024 ** 2;

export const inflatedBudget = (fileBytes: number) => Math.max(MIN_INFLATED_BUDGET, fileBytes * MAX_INFLATION);

/** A shared string larger than the row limit (its index, to find the cell that uses it). */
export class OversizedSharedString extends Error {
  override name = 'OversizedSharedString';
  constructor(
    readonly index: number,
    readonly limit: number,
  ) {
    super(`shared string ${index} is larger than the ${limit} bytes limit`);
  }
}

/** The archive inflates past its budget. */
export class InflationLimit extends Error {
  override name = 'InflationLimit';
  constructor(
    readonly part: string,
    readonly budget: number,
  ) {
    super(`the workbook inflates past ${budget} bytes (reading ${part})`);
  }
}

/** A row of a sheet larger than the row limit. */
export class OversizedRow extends Error {
  override name = 'OversizedRow';
  constructor(
    readonly row: number | null,
    readonly column: string | null,
    readonly limit: number,
    readonly sheet?: string,
  ) {
    super(`row ${row ?? '?'} is larger than the ${limit} bytes limit`);
  }
}

/** Counts the inflated bytes of every part read from one workbook against one budget. */
export class InflationMeter {
  private used = 0;
  constructor(readonly budget: number) {}
  add(part: string, bytes: number): void {
    this.used += bytes;
    if (this.used > this.budget) throw new InflationLimit(part, this.budget);
  }
}

/**
 * Finds an ASCII tag's occurrences across chunk boundaries: each chunk is searched with the tail
 * of the one before (decoded as latin1, so offsets are byte offsets), and a match is reported once.
 */
class TagScanner {
  private tail = '';
  constructor(
    private readonly pattern: RegExp,
    private readonly keep = 64,
  ) {}
  /** The matches completed in this chunk, with their offset from the chunk's first byte (negative: begun in the tail). */
  scan(chunk: Buffer): { match: RegExpExecArray; offset: number }[] {
    const text = this.tail + chunk.toString('latin1');
    const out: { match: RegExpExecArray; offset: number }[] = [];
    const re = new RegExp(this.pattern.source, 'g');
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m.index + m[0].length > this.tail.length) out.push({ match: m, offset: m.index - this.tail.length });
    }
    this.tail = text.slice(-this.keep);
    return out;
  }
}

function meter(part: string, meterOf: InflationMeter, onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        meterOf.add(part, chunk.length);
        onChunk(chunk);
        done(null, chunk);
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** xl/sharedStrings.xml through the bounds: no string longer than the row limit. */
export function boundedSharedStrings(source: Readable, bounds: XlsxBounds, inflation: InflationMeter): Readable {
  const starts = new TagScanner(/<si[\s>]/);
  let index = -1;
  let current = 0;
  const out = meter('xl/sharedStrings.xml', inflation, (chunk) => {
    const found = starts.scan(chunk);
    if (found.length) {
      index += found.length;
      current = chunk.length - Math.max(0, found.at(-1)!.offset);
    } else {
      current += chunk.length;
    }
    if (index >= 0 && current > bounds.maxRecordSize) throw new OversizedSharedString(index, bounds.maxRecordSize);
  });
  return forward(source, out);
}

/** A sheet's XML through the bounds: no row longer than the row limit (named with its cell). */
export function boundedSheet(source: Readable, part: string, bounds: XlsxBounds, inflation: InflationMeter, sheet?: string): Readable {
  const tags = new TagScanner(/<(row|c)\s[^>]*?\br="([A-Z]*)(\d+)"/);
  let row: number | null = null;
  let column: string | null = null;
  let current = 0;
  const out = meter(part, inflation, (chunk) => {
    let lastRowStart: number | null = null;
    for (const { match, offset } of tags.scan(chunk)) {
      if (match[1] === 'row') {
        row = Number(match[3]);
        column = null;
        lastRowStart = offset;
      } else {
        column = match[2] || null;
      }
    }
    current = lastRowStart === null ? current + chunk.length : chunk.length - Math.max(0, lastRowStart);
    if (current > bounds.maxRecordSize) throw new OversizedRow(row, column, bounds.maxRecordSize, sheet);
  });
  return forward(source, out);
}

/** The cell (sheet part's row and column) whose value is shared string `index`, or null. */
export async function cellOfSharedString(source: Readable, index: number): Promise<{ row: number; column: string } | null> {
  const cells = new TagScanner(new RegExp(`<c\\s[^>]*?\\br="([A-Z]+)(\\d+)"[^>]*?\\bt="s"[^>]*>\\s*<v>${index}</v>`), 256);
  try {
    for await (const chunk of source) {
      const [hit] = cells.scan(chunk as Buffer);
      if (hit) return { column: hit.match[1]!, row: Number(hit.match[2]) };
    }
    return null;
  } finally {
    source.destroy();
  }
}

function forward(source: Readable, through: Transform): Readable {
  source.on('error', (err) => through.destroy(err));
  through.on('close', () => source.destroy());
  return source.pipe(through);
}
