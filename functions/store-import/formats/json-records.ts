/**
 * Where the records of a JSON document that is one object are: tools wrap them
 * (`aws ec2 describe-instances` → Reservations[].Instances[]; REST APIs → value[], items[], data[]).
 * Pure, so the rule is tested on its own.
 */
type Row = Record<string, unknown>;

const isObject = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Record paths that tools document, tried before the generic rule: the records are the leaves. */
const KNOWN_PATHS: string[][] = [
  ['Reservations', 'Instances'], // aws ec2 describe-instances
];

export interface RecordPath {
  /** The path as recorded in import_config.record_path: `Reservations[].Instances[]`, `value[]`, or `$` for the document itself. */
  path: string;
  /** For records keyed by their name (`$.*`): the field the key is kept in. */
  keyField?: string;
  records: Row[];
}

/** The elements of `doc` at `keys`, each key an array to go through, or null when the path is not there. */
function leaves(doc: Row, keys: string[]): Row[] | null {
  let level: Row[] = [doc];
  for (const key of keys) {
    const next: Row[] = [];
    for (const item of level) {
      const arr = item[key];
      if (!Array.isArray(arr)) return null;
      for (const el of arr) if (isObject(el)) next.push(el);
    }
    level = next;
  }
  return level;
}

/**
 * The records of a one-object JSON document: a documented path when the document has it; else the
 * largest array of objects under the document's objects (arrays inside the records themselves, such
 * as Tags[] or disks[], are part of a record, never records); else the document is one record.
 * Null when the document holds arrays of objects but every one is empty (no records to import).
 */
export function findRecords(doc: Row): RecordPath | null {
  for (const keys of KNOWN_PATHS) {
    const found = leaves(doc, keys);
    if (found?.length) return { path: keys.map((k) => `${k}[]`).join('.'), records: found };
  }
  let best: { path: string; records: Row[] } | null = null;
  let emptyArrays = false;
  const walk = (node: Row, path: string[], depth: number) => {
    for (const [key, value] of Object.entries(node)) {
      if (Array.isArray(value)) {
        const objects = value.filter(isObject);
        if (value.length === 0) emptyArrays = true;
        // most elements objects: a list of records (a list of strings is a value)
        if (objects.length > 0 && objects.length * 2 >= value.length && (!best || objects.length > best.records.length)) {
          best = { path: [...path, `${key}[]`].join('.'), records: objects };
        }
      } else if (isObject(value) && depth < 4) walk(value, [...path, key], depth + 1);
    }
  };
  walk(doc, [], 0);
  if (best) return best;
  const keyed = keyedRecords(doc);
  if (keyed) return keyed;
  return emptyArrays ? null : { path: '$', records: [doc] };
}

/**
 * A document whose values are records keyed by their name (`{"web01": {...}, "web02": {...}}`:
 * Ansible hostvars and fact caches, inventory dumps): at least two values, nearly all objects,
 * sharing a key. The key would be lost, so it is kept in the record, as `name` when the records
 * have none, else as `record_key`.
 */
function keyedRecords(doc: Row): RecordPath | null {
  const entries = Object.entries(doc);
  const objects = entries.filter((e): e is [string, Row] => isObject(e[1]));
  if (objects.length < 2 || objects.length * 5 < entries.length * 4) return null;
  const shared = Object.keys(objects[0]![1]).filter((k) => objects.every(([, v]) => k in v));
  if (!shared.length) return null;
  const field = objects.some(([, v]) => 'name' in v) ? 'record_key' : 'name';
  return { path: '$.*', keyField: field, records: objects.map(([key, v]) => ({ [field]: key, ...v })) };
}
