/** Pure normalisers for the text fields of an inventory row. No I/O; unit-tested in test/discovery. */
import { isIP } from 'node:net';
import { isBlank } from './numbers.ts';

/** The trimmed text of a cell, or null when blank. Non-ASCII text is kept as it is. */
export function text(value: unknown): string | null {
  if (isBlank(value)) return null;
  const s = String(value).trim();
  // NFC only matters (and only costs) for non-ASCII text
  return /[^\x00-\x7f]/.test(s) ? s.normalize('NFC') : s;
}

/** A MAC address (EUI-48) as exports write it: 00:1B:44:11:3A:B7, 00-1B-44-11-3A-B7, 001b.4411.3ab7. */
const MAC = /^(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})$/i;

/** Addresses are validated by Node's own parser (node:net), never by a pattern: a MAC is not an IPv6 address. */
export const isIpv4 = (s: string) => isIP(s) === 4;
export const isIp = (s: string) => isIP(s) !== 0;
export const isMac = (s: string) => MAC.test(s);

/**
 * Every IP address in a cell ("10.0.0.5, fe80::1; 192.168.1.9", "10.1.1.1/24") and the primary
 * one: the first IPv4, else the first IPv6. Order and duplicates: first occurrence kept. MAC
 * addresses found among them (exports put them in the address column) are returned apart.
 */
export function parseIps(value: unknown): { primary: string | null; all: string[]; mac: string[] } {
  const s = text(value);
  if (!s) return { primary: null, all: [], mac: [] };
  const all: string[] = [];
  const mac: string[] = [];
  for (const raw of s.split(/[\s,;|]+/)) {
    let token = raw.replace(/^[[("']+|[\])"']+$/g, '').replace(/\/\d{1,3}$/, '');
    if (raw.includes(':') && !isIp(token)) token = withoutPort(raw.replace(/^[("']+|[)"']+$/g, '')).replace(/^\[|\]$/g, '');
    if (!token) continue;
    if (isIp(token)) {
      if (!all.includes(token)) all.push(token);
    } else if (isMac(token) && !mac.includes(token)) mac.push(token);
  }
  return { primary: all.find(isIpv4) ?? all[0] ?? null, all, mac };
}

/** An address without the port a service list writes after it: 10.0.0.5:8080 → 10.0.0.5, [2001:db8::1]:443 → 2001:db8::1. */
function withoutPort(token: string): string {
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(token);
  if (v6) return v6[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(token);
  return v4 ? v4[1]! : token;
}

const ARCH = /\s*\((?:32|64)-?bit\)|\s*\b(?:x86_64|x64|amd64|64-bit|32-bit)\b/gi;

/**
 * Splits an OS string into name and version at its first token that starts with a digit:
 * "Microsoft Windows Server 2019 (64-bit)" → ["Microsoft Windows Server", "2019"];
 * "Ubuntu 22.04.3 LTS" → ["Ubuntu", "22.04.3 LTS"]. The architecture suffix is dropped.
 * A separate version cell, when present and not blank, wins and the name stays whole.
 */
export function splitOs(osValue: unknown, versionValue?: unknown): { name: string | null; version: string | null } {
  const os = text(osValue)?.replace(GUEST_PREFIX, '').replace(ARCH, '').replace(/\s+/g, ' ').trim() || null;
  const version = text(versionValue);
  if (version) return { name: os, version };
  if (!os) return { name: null, version: null };
  const m = /^(.*?\D)\s+(\d[\w.\-/()]*(?:\s.*)?)$/.exec(os);
  // "Other 3.x or later Linux": what follows the number still names the system, so it is no version
  if (!m || OS_WORD.test(m[2]!)) return { name: os, version: null };
  return { name: m[1]!.trim(), version: m[2]!.trim() };
}

/** PowerCLI's Guest column writes "<vm name>:<OS full name>". */
const GUEST_PREFIX = /^[A-Za-z0-9][\w.-]*:(?=[A-Za-z]|$)/;
const OS_WORD = /\b(linux|windows|unix|bsd|solaris|esxi|macos|os x)\b/i;

const ENVIRONMENTS: Array<[RegExp, string]> = [
  [/^(prod|production|prd|prd\d*|prod\d*|live|p|produktion|produktiv|producci[oó]n)$/, 'production'],
  [/^(pr[eé]-?prod|pr[eé]-?production|staging|stage|stg|pprd)$/, 'staging'],
  [/^(uat|acceptance|acc|user acceptance( testing)?|abnahme|recette)$/, 'uat'],
  [/^(test|testing|tst|qa|sit|quality assurance|t|qualification|int[eé]gration|pruebas)$/, 'test'],
  [/^(dev|development|develop|devl|d|entwicklung|d[eé]veloppement|desarrollo)$/, 'development'],
  [/^(dr|disaster recovery|bcp)$/, 'disaster_recovery'],
  [/^(sandbox|sbx|lab|poc|demo|demonstration)$/, 'sandbox'],
  [/^(training|train|trn)$/, 'training'],
];

/** A canonical environment name (prod/Production/PRD → production, …); unknown values lower-cased. */
export function normaliseEnvironment(value: unknown): string | null {
  const s = text(value)
    ?.toLowerCase()
    .replace(/[_\s]+/g, ' ')
    .trim();
  if (!s) return null;
  for (const [re, env] of ENVIRONMENTS) if (re.test(s)) return env;
  return s;
}

/** True/false from the many spellings exports use; null when blank or not a boolean. */
export function parseBoolean(value: unknown): boolean | null {
  const s = text(value)?.toLowerCase();
  if (!s) return null;
  if (['true', 'yes', 'y', '1', 'wahr', 'x', 'ja', 'oui', 'vrai'].includes(s)) return true;
  if (['false', 'no', 'n', '0', 'falsch', 'nein', 'non', 'faux'].includes(s)) return false;
  return null;
}

/** A canonical power state: poweredOn/Running/On → on, poweredOff/Stopped/Off → off, suspended. */
export function normalisePowerState(value: unknown): 'on' | 'off' | 'suspended' | null {
  const s = text(value)
    ?.toLowerCase()
    .replace(/[\s_-]/g, '');
  if (!s) return null;
  if (['poweredon', 'on', 'running', 'started', 'up', 'active', 'vmrunning'].includes(s)) return 'on';
  if (['poweredoff', 'off', 'stopped', 'shutdown', 'down', 'deallocated', 'inactive', 'vmdeallocated', 'vmstopped'].includes(s)) return 'off';
  if (['suspended', 'paused', 'saved'].includes(s)) return 'suspended';
  return null;
}

const HOSTNAME = /^[\p{L}\p{N}][\p{L}\p{N}_-]*(\.[\p{L}\p{N}_-]+)*\.?$/u;

/**
 * Host name and FQDN from a name cell: "web01.corp.example" → hostname "web01", fqdn the whole;
 * "web01" → hostname "web01". Values that are not host names (spaces, IPs) give nulls.
 */
export function parseHostname(value: unknown): { hostname: string | null; fqdn: string | null } {
  // "CORP\web02" (the DOMAIN\host form of AD and ConfigMgr exports): the host is after the backslash
  let s = text(value)?.replace(/\.$/, '');
  if (s?.includes('\\')) s = s.replace(/^[\p{L}\p{N}_.-]+\\(?=[\p{L}\p{N}])/u, '');
  if (!s || !HOSTNAME.test(s) || isIp(s)) return { hostname: null, fqdn: null };
  const dot = s.indexOf('.');
  return dot > 0 ? { hostname: s.slice(0, dot), fqdn: s } : { hostname: s, fqdn: null };
}
