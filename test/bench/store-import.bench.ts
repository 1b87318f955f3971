/**
 * StoreImport on a realistic 20-column inventory CSV (uploaded to s3rver through the project's S3
 * client) beside a raw COPY of the same rows, as the jsonb StoreImport would write, into the same
 * (emptied) table in the same run: the machine's limit. Each load runs in a child process of its
 * own, so its peak RSS is measured alone (getrusage maxRSS).
 * Targets (from 100k rows): at least 0.5× the raw COPY's rows/s, and peak RSS at most 256 MB whatever the size.
 *   npx tsx test/bench/store-import.bench.ts [--rows 100000]     (default 20000, or BENCH_ROWS)
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import ExcelJS from 'exceljs';
import S3rver from 's3rver';
import { createS3Client } from '../../functions/_shared/s3.ts';
import { createTenant, type Tenant } from '../support/fixtures.ts';
import { benchDatabase, isMain } from './bench-db.ts';
import { formatTable, type BenchRow } from './report.ts';

const MAX_RSS_MB = 256;
/** A quote never closed must not grow memory with the file: its peak ≤ the normal load's + this. */
const STRAY_QUOTE_EXTRA_MB = 32;
/** Rejected rows must not grow memory with the file either: their peak ≤ the clean load's + this. */
const REJECTED_EXTRA_MB = 32;
const MIN_RATIO = 0.5;
/** The crafted workbook's one cell at full size: a 400 KB file that inflates to this. */
const BIG_CELL_MB = 400;
const TARGET_FROM_ROWS = 100_000;
const ROOT = resolve(import.meta.dirname, '..', '..');

const HEADERS = [
  'hostname',
  'fqdn',
  'ip_address',
  'mac_address',
  'operating_system',
  'os_version',
  'cpu_cores',
  'memory_gb',
  'storage_gb',
  'environment',
  'datacenter',
  'rack',
  'owner',
  'application',
  'business_unit',
  'serial_number',
  'model',
  'vendor',
  'status',
  'notes',
];
const OS = [
  ['Windows Server', '2019'],
  ['Red Hat Enterprise Linux', '8.6'],
  ['Ubuntu', '22.04'],
  ['SUSE Linux Enterprise', '15 SP4'],
];
const ENVS = ['production', 'staging', 'development', 'test'];
const VENDORS = [
  ['Dell', 'PowerEdge R740'],
  ['HPE', 'ProLiant DL380 Gen10'],
  ['Lenovo', 'ThinkSystem SR650'],
  ['VMware', 'Virtual Machine'],
];

/** Row i of the inventory, as the strings a CSV export holds. */
function inventoryRow(i: number): string[] {
  const [os, osVersion] = OS[i % OS.length]!;
  const [vendor, model] = VENDORS[(i >> 2) % VENDORS.length]!;
  const host = `srv-${String(i).padStart(7, '0')}`;
  const notes = i % 10 === 0 ? `Migrated from "old" DC, ${2015 + (i % 9)}` : i % 7 === 0 ? 'Décommission prévue Q3 – Zürich' : '';
  return [
    host,
    `${host}.corp.example.com`,
    `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    `00:50:56:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    os,
    osVersion,
    String(2 ** (i % 6)),
    String(4 * (1 + (i % 32))),
    String(100 * (1 + (i % 20))),
    ENVS[i % ENVS.length]!,
    `DC-${1 + (i % 3)}`,
    `R${(i % 40) + 1}-U${(i % 42) + 1}`,
    `team-${i % 57}@example.com`,
    `app-${i % 311}`,
    `BU ${i % 13}`,
    `SN${(i * 2654435761) % 1e10}`,
    model,
    vendor,
    i % 50 === 0 ? 'retired' : 'active',
    notes,
  ];
}

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/** The CSV to import, and the same rows as COPY text (jsonb keyed by header) for the reference. */
async function writeFiles(dir: string, rows: number, reference: { dataImportId: string } & Tenant) {
  const csvPath = join(dir, 'inventory.csv');
  const copyPath = join(dir, 'reference.copy');
  const csv = createWriteStream(csvPath);
  const copy = createWriteStream(copyPath);
  const prefix = `${reference.dataImportId}\t${reference.clientAccountId}\t${reference.engagementId}\t`;
  await write(csv, `${HEADERS.join(',')}\r\n`);
  for (let start = 1; start <= rows; start += 1000) {
    let csvChunk = '';
    let copyChunk = '';
    for (let i = start; i < Math.min(start + 1000, rows + 1); i++) {
      const values = inventoryRow(i);
      csvChunk += `${values.map(csvField).join(',')}\r\n`;
      const obj: Record<string, string> = {};
      for (const [c, h] of HEADERS.entries()) obj[h] = values[c]!;
      copyChunk += `${prefix}${i}\t${JSON.stringify(obj).replaceAll('\\', '\\\\')}\n`;
    }
    await write(csv, csvChunk);
    await write(copy, copyChunk);
  }
  await Promise.all([close(csv), close(copy)]);
  return { csvPath, copyPath, strayPath: await writeStray(dir, rows), raggedPath: await writeRagged(dir, rows) };
}

/** The same inventory with every tenth row one cell too wide: 10 % of the rows rejected (stored with their reason). */
async function writeRagged(dir: string, rows: number): Promise<string> {
  const path = join(dir, 'ten-percent-ragged.csv');
  const out = createWriteStream(path);
  await write(out, `${HEADERS.join(',')}\r\n`);
  for (let start = 1; start <= rows; start += 1000) {
    let chunk = '';
    for (let i = start; i < Math.min(start + 1000, rows + 1); i++) chunk += `${inventoryRow(i).map(csvField).join(',')}${i % 10 === 0 ? ',extra' : ''}\r\n`;
    await write(out, chunk);
  }
  await close(out);
  return path;
}

/**
 * The same inventory with a quote opened on line 2 and never closed: no other '"' in the file (the
 * notes column, the only one quoted, is left empty), so the rest of the file is one open field.
 */
async function writeStray(dir: string, rows: number): Promise<string> {
  const path = join(dir, 'stray-quote.csv');
  const out = createWriteStream(path);
  await write(out, `${HEADERS.join(',')}\r\n"`);
  for (let start = 1; start <= rows; start += 1000) {
    let chunk = '';
    for (let i = start; i < Math.min(start + 1000, rows + 1); i++) chunk += `${inventoryRow(i).slice(0, -1).join(',')},\r\n`;
    await write(out, chunk);
  }
  await close(out);
  return path;
}

/**
 * A small workbook whose shared strings hold one `cellMb` MB cell (row 3, column B): what a crafted
 * or broken workbook can do to a reader that holds the shared strings in memory.
 */
async function writeBigCellWorkbook(dir: string, cellMb: number): Promise<string> {
  const path = join(dir, 'big-cell.xlsx');
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Servers');
  ws.addRow(['hostname', 'notes']);
  ws.addRow(['web01', 'fine']);
  ws.addRow(['web02', 'x'.repeat(cellMb * 2 ** 20)]);
  await wb.xlsx.writeFile(path);
  return path;
}

/** Runs one load in a child process; returns what it printed. */
function child(job: Record<string, unknown>): Promise<{ rows: number; rejected?: number; seconds: number; peakRssMb: number; cpuSeconds: number; error?: string }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'store-import-child.ts'), JSON.stringify(job)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('error', fail);
    proc.on('exit', (code) => {
      if (code !== 0) return fail(new Error(`${job.mode} child exited with ${code}`));
      done(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

export async function run(opts: { rows: number }): Promise<BenchRow[]> {
  const { rows } = opts;
  const handle = await benchDatabase('store_import');
  const dir = mkdtempSync(join(tmpdir(), 'flowlink-bench-si-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3') });
  try {
    const { sql } = handle;
    const tenant = await createTenant(sql, `bench-si-${process.pid}`);
    const [ref] = await sql<{ id: string }[]>`
      insert into data_imports (client_account_id, engagement_id, import_name, filename, status)
      values (${tenant.clientAccountId}, ${tenant.engagementId}, 'raw copy reference', 'reference.csv', 'stored') returning id`;
    const files = await writeFiles(dir, rows, { dataImportId: ref!.id, ...tenant });

    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    const s3 = createS3Client({ endpoint });
    const bucket = 'imports';
    const key = `imports/${tenant.clientAccountId}/${tenant.engagementId}/inventory.csv`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: createReadStream(files.csvPath), ContentType: 'text/csv' }, partSize: 16 * 2 ** 20 }).done();
    const strayKey = `imports/${tenant.clientAccountId}/${tenant.engagementId}/stray-quote.csv`;
    await new Upload({ client: s3, params: { Bucket: bucket, Key: strayKey, Body: createReadStream(files.strayPath), ContentType: 'text/csv' }, partSize: 16 * 2 ** 20 }).done();
    const cellMb = rows >= TARGET_FROM_ROWS ? BIG_CELL_MB : 32;
    const bigCellPath = await writeBigCellWorkbook(dir, cellMb);
    const bigCellKey = `imports/${tenant.clientAccountId}/${tenant.engagementId}/big-cell.xlsx`;
    await new Upload({ client: s3, params: { Bucket: bucket, Key: bigCellKey, Body: createReadStream(bigCellPath) }, partSize: 16 * 2 ** 20 }).done();
    const raggedKey = `imports/${tenant.clientAccountId}/${tenant.engagementId}/ten-percent-ragged.csv`;
    await new Upload({ client: s3, params: { Bucket: bucket, Key: raggedKey, Body: createReadStream(files.raggedPath), ContentType: 'text/csv' }, partSize: 16 * 2 ** 20 }).done();
    s3.destroy();

    // the reference first, then the same empty table for StoreImport; no autovacuum of the first
    // load running into the second
    await sql`alter table raw_import_records set (autovacuum_enabled = false)`;
    await sql`checkpoint`.catch(() => {});
    const raw = await child({ mode: 'raw-copy', databaseUrl: handle.url, copyFile: files.copyPath });
    await sql`truncate raw_import_records cascade`; // a fresh bench database: nothing else hangs under it
    await sql`checkpoint`.catch(() => {});
    const ours = await child({ mode: 'store-import', databaseUrl: handle.url, endpoint, bucket, key, ...tenant });
    const stray = await child({ mode: 'store-import', databaseUrl: handle.url, endpoint, bucket, key: strayKey, ...tenant, expectError: true });
    if (!/line 2: quote opened here is never closed/.test(stray.error ?? '')) throw new Error(`stray quote: expected the open quote to be named, got ${stray.error ?? 'success'}`);
    const bigCell = await child({ mode: 'store-import', databaseUrl: handle.url, endpoint, bucket, key: bigCellKey, ...tenant, expectError: true });
    if (!/sheet "Servers", row 3, column B/.test(bigCell.error ?? '')) throw new Error(`big cell: expected sheet, row and column named, got ${bigCell.error ?? 'success'}`);
    const ragged = await child({ mode: 'store-import', databaseUrl: handle.url, endpoint, bucket, key: raggedKey, ...tenant });
    if (ragged.rows !== rows || ragged.rejected !== Math.floor(rows / 10)) throw new Error(`10 % ragged: ${ragged.rows} rows, ${ragged.rejected} rejected`);
    const [stored] = await sql<{ n: number }[]>`
      select count(*)::int as n from raw_import_records r join data_imports d on d.id = r.data_import_id where d.s3_key = ${key}`;
    if (raw.rows !== rows || ours.rows !== rows || stored!.n !== rows) throw new Error(`rows: reference ${raw.rows}, StoreImport ${ours.rows}, stored ${stored!.n}, expected ${rows}`);

    const rawRate = rows / raw.seconds;
    const ourRate = rows / ours.seconds;
    const ratio = ourRate / rawRate;
    return [
      { name: 'raw COPY of the same rows (reference)', rows, seconds: raw.seconds, rowsPerSecond: rawRate, peakRssMb: raw.peakRssMb, note: `client CPU ${raw.cpuSeconds.toFixed(1)} s` },
      {
        name: 'StoreImport (S3 CSV → COPY)',
        rows,
        seconds: ours.seconds,
        rowsPerSecond: ourRate,
        peakRssMb: ours.peakRssMb,
        reference: 'raw COPY',
        ratio,
        target: `≥ ${MIN_RATIO}× rows/s, ≤ ${MAX_RSS_MB} MB`,
        // below 100k rows StoreImport's fixed costs (first S3 request, parser warm-up: about a second) dominate
        ok: rows >= TARGET_FROM_ROWS ? ratio >= MIN_RATIO && ours.peakRssMb <= MAX_RSS_MB : undefined,
        note: `client CPU ${ours.cpuSeconds.toFixed(1)} s${rows < TARGET_FROM_ROWS ? `; targets apply from ${TARGET_FROM_ROWS} rows` : ''}`,
      },
      {
        name: 'StoreImport, quote opened on line 2, never closed',
        rows,
        seconds: stray.seconds,
        peakRssMb: stray.peakRssMb,
        reference: 'StoreImport peak RSS',
        ratio: stray.peakRssMb / ours.peakRssMb,
        target: `≤ normal + ${STRAY_QUOTE_EXTRA_MB} MB`,
        ok: rows >= TARGET_FROM_ROWS ? stray.peakRssMb <= ours.peakRssMb + STRAY_QUOTE_EXTRA_MB : undefined,
        note: `peak ${stray.peakRssMb.toFixed(0)} MB vs normal ${ours.peakRssMb.toFixed(0)} MB (${(stray.peakRssMb - ours.peakRssMb).toFixed(0)} MB more); refused as "${stray.error}"`,
      },
      {
        name: `StoreImport, workbook with one ${cellMb} MB cell`,
        rows: 2,
        seconds: bigCell.seconds,
        peakRssMb: bigCell.peakRssMb,
        reference: 'StoreImport peak RSS',
        ratio: bigCell.peakRssMb / ours.peakRssMb,
        target: `≤ normal + ${STRAY_QUOTE_EXTRA_MB} MB`,
        ok: rows >= TARGET_FROM_ROWS ? bigCell.peakRssMb <= ours.peakRssMb + STRAY_QUOTE_EXTRA_MB : undefined,
        note: `peak ${bigCell.peakRssMb.toFixed(0)} MB vs normal ${ours.peakRssMb.toFixed(0)} MB; refused as "${bigCell.error}"`,
      },
      {
        name: 'StoreImport, every tenth row rejected',
        rows,
        seconds: ragged.seconds,
        rowsPerSecond: rows / ragged.seconds,
        peakRssMb: ragged.peakRssMb,
        reference: 'StoreImport peak RSS',
        ratio: ragged.peakRssMb / ours.peakRssMb,
        target: `≤ normal + ${REJECTED_EXTRA_MB} MB`,
        ok: rows >= TARGET_FROM_ROWS ? ragged.peakRssMb <= ours.peakRssMb + REJECTED_EXTRA_MB : undefined,
        note: `${ragged.rejected} rejected; peak ${ragged.peakRssMb.toFixed(0)} MB vs clean ${ours.peakRssMb.toFixed(0)} MB; ${(ragged.seconds / ours.seconds).toFixed(2)}× the clean file's time`,
      },
    ];
  } finally {
    await server.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    await handle.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: process.env.BENCH_ROWS ?? '20000' } } });
  const results = await run({ rows: Number(values.rows) });
  console.log(formatTable(results));
  for (const r of results) console.log(`${r.name}: ${r.note}`);
  process.exit(0);
}
