/**
 * Field-level warnings: a value discovery cannot read for a typed field (`sixteen` GB, `n/a`
 * cores, an address that is neither IPv4, IPv6 nor a MAC, a size whose unit is no unit, a count
 * beyond the column's range, a host name longer than a host name can be) leaves that field empty
 * on the asset and is reported with its column and value. Never a failure of the import, never a
 * retry: the database is never handed a value it would refuse.
 *
 * Called by discovery after toAsset (to-asset.ts), on the asset it made; pure, like the mapper.
 */
import { isMac, parseIps } from './normalise.ts';
import { parseCount, parseNumber, unitInCell } from './numbers.ts';
import type { AssetValues, CompiledPlan } from './to-asset.ts';
import type { Target } from './types.ts';

export interface FieldWarning {
  /** The file's column the value is in. */
  column: string;
  /** The asset field left empty. */
  field: string;
  value: string;
  message: string;
}

/** assets.cpu_cores is a PostgreSQL integer. */
const INT4_MAX = 2 ** 31 - 1;
/** The longest DNS name (RFC 1035); longer cannot be a host name, and would not fit the host name index. */
const MAX_HOSTNAME = 253;
/** How much of an unreadable value a warning repeats. */
const VALUE_CHARS = 200;

const cellText = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '')).trim();
const shown = (s: string) => (s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS)}… (${s.length} characters)` : s);

/** The cells of a target's columns that hold something, in priority order. */
function cells(cp: CompiledPlan, row: Record<string, unknown>, target: Target): Array<{ header: string; text: string }> {
  const out: Array<{ header: string; text: string }> = [];
  for (const source of cp.sources[target] ?? []) {
    if (!Object.hasOwn(row, source.header)) continue;
    const text = cellText(row[source.header]);
    if (text !== '') out.push({ header: source.header, text });
  }
  return out;
}

/** A size cell's trailing word that is no size unit ("16 parsecs"), else null. */
function unknownUnit(value: string): string | null {
  const m = /^\s*[-+]?[\d.,\s\u00a0\u202f'\u2019]+(?:[eE][-+]?\d+)?\s*([a-z]+)\b/i.exec(value);
  if (!m) return null;
  return unitInCell(value) === null ? m[1]! : null;
}

/**
 * Checks the typed fields of one asset against its row; clears those it cannot stand behind (in
 * place) and returns a warning for each. An empty cell is no warning: only a value that was there
 * and could not be read.
 */
export function checkFields(cp: CompiledPlan, row: Record<string, unknown>, asset: AssetValues): FieldWarning[] {
  const warnings: FieldWarning[] = [];
  const warn = (column: string, field: string, value: string, message: string) => warnings.push({ column, field, value: shown(value), message });

  // counts: unreadable, or beyond the column
  if (asset.cpu_cores !== null && !(Number.isInteger(asset.cpu_cores) && asset.cpu_cores <= INT4_MAX)) {
    const [hit] = cells(cp, row, 'cpu_cores').concat(cells(cp, row, 'cpu_sockets'));
    warn(hit?.header ?? 'cpu_cores', 'cpu_cores', hit?.text ?? String(asset.cpu_cores), `${hit?.text ?? asset.cpu_cores} CPU cores is out of range (at most ${INT4_MAX})`);
    asset.cpu_cores = null;
  } else if (asset.cpu_cores === null) {
    for (const target of ['cpu_cores', 'cpu_sockets', 'cores_per_socket'] as const) {
      for (const c of cells(cp, row, target)) {
        if (parseCount(c.text) === null) warn(c.header, 'cpu_cores', c.text, `"${shown(c.text)}" is not a number of CPU cores`);
      }
    }
  }

  // sizes: unreadable, a unit that is none, or not a finite number
  for (const [target, label] of [
    ['memory_gb', 'memory'],
    ['storage_gb', 'storage'],
  ] as const) {
    const hits = cells(cp, row, target);
    const first = hits[0];
    if (first && asset[target] !== null) {
      const unit = unknownUnit(first.text);
      if (unit !== null || !Number.isFinite(asset[target])) {
        warn(
          first.header,
          target,
          first.text,
          unit !== null ? `"${shown(first.text)}": "${unit}" is not a unit of size (B, KB, MB, GB, TB); the ${label} is left empty` : `"${shown(first.text)}" is too large a ${label} size`,
        );
        asset[target] = null;
      }
    } else if (asset[target] === null) {
      for (const c of hits) {
        if (parseNumber(c.text) === null) warn(c.header, target, c.text, `"${shown(c.text)}" is not a ${label} size`);
      }
    }
  }

  // addresses: a cell with no IPv4, IPv6 or MAC address in it at all
  const ipCells = cells(cp, row, 'ip_address');
  // one address column that gave the asset an address was readable: no second parse on the common path
  for (const c of ipCells.length === 1 && asset.ip_addresses.length > 0 ? [] : ipCells) {
    const found = parseIps(c.text);
    if (found.all.length === 0 && found.mac.length === 0) warn(c.header, 'ip_address', c.text, `"${shown(c.text)}" is not an IPv4, IPv6 or MAC address`);
  }
  const mac = cells(cp, row, 'mac_address')[0];
  if (mac && asset.mac_address === mac.text && !isMac(mac.text)) {
    warn(mac.header, 'mac_address', mac.text, `"${shown(mac.text)}" is not a MAC address`);
    asset.mac_address = null;
  }

  // names longer than a DNS name can be: not a host name, and too long for the host name index
  for (const field of ['hostname', 'fqdn'] as const) {
    const value = asset[field];
    if (value !== null && value.length > MAX_HOSTNAME) {
      const [hit] = cells(cp, row, field).concat(cells(cp, row, 'name'));
      warn(hit?.header ?? field, field, value, `a ${field === 'fqdn' ? 'DNS name' : 'host name'} of ${value.length} characters (at most ${MAX_HOSTNAME})`);
      asset[field] = null;
    }
  }
  return warnings;
}
