/**
 * A raw record as the mapper sees it: nested JSON values (az vm list's storageProfile, osquery's
 * columns, ec2's Tags[]) flattened into path keys beside the record's own keys, so that a column
 * of any depth can be mapped. The stored raw record is not changed: custom attributes keep the
 * top-level values whole. Pure.
 *
 * Paths: `storageProfile.osDisk.osType`; an array of `{Key, Value}` pairs (AWS tags) by its keys,
 * `Tags.Name`; the fields of an array of objects collected into an array, `dataDisks[].diskSizeGb`.
 */
type Row = Record<string, unknown>;

const MAX_DEPTH = 5;

const isPlainObject = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v) && !(JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON?.(v);

/** True when a record holds a nested object or array (a CSV row never does: no copy is made for it). */
export function hasNested(row: Row): boolean {
  for (const key in row) {
    const v = row[key];
    if (typeof v === 'object' && v !== null) return true;
  }
  return false;
}

const isTagList = (arr: unknown[]) => arr.length > 0 && arr.every((el) => isPlainObject(el) && 'Key' in el && 'Value' in el && typeof el.Key === 'string');

/** The record with every nested value also under its path (see the module comment). */
export function flattenRecord(row: Row): Row {
  const out: Row = Object.create(null);
  for (const key of Object.keys(row)) out[key] = row[key];
  const put = (path: string, value: unknown, many: boolean) => {
    if (!many) {
      if (!(path in out)) out[path] = value;
      return;
    }
    const list = (out[path] ??= []) as unknown[];
    if (Array.isArray(list)) list.push(value);
  };
  const walk = (path: string, value: unknown, depth: number, many: boolean) => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      if (isTagList(value)) {
        for (const el of value as Array<{ Key: string; Value: unknown }>) put(`${path}.${el.Key}`, el.Value, many);
        return;
      }
      if (depth > 0 && value.every((el) => typeof el !== 'object' || el === null)) {
        put(path, value.join(', '), many);
        return;
      }
      for (const el of value) {
        if (isPlainObject(el)) for (const [k, v] of Object.entries(el)) walk(`${path}[].${k}`, v, depth + 1, true);
      }
      return;
    }
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) walk(`${path}.${k}`, v, depth + 1, many);
      return;
    }
    if (depth > 0) put(path, value, many);
  };
  for (const key of Object.keys(row)) {
    const v = row[key];
    if (typeof v === 'object' && v !== null) walk(key, v, 0, false);
  }
  return out;
}

/** The keys of the records' flattened views, in order of first appearance. */
export function flattenedKeys(rows: Iterable<Row>): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(hasNested(row) ? flattenRecord(row) : row)) seen.add(key);
  return [...seen];
}
