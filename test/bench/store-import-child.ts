/**
 * One measured load, in a process of its own so that its peak RSS (getrusage maxRSS) is the load's
 * alone: `store-import` runs storeImport on an S3 object; `raw-copy` pipes a prepared COPY file
 * into raw_import_records (the reference). Prints one JSON line: rows, seconds, peakRssMb, cpuSeconds.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createS3Client } from '../../functions/_shared/s3.ts';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { storeImport } from '../../functions/store-import/store-import.ts';

interface Job {
  mode: 'store-import' | 'raw-copy';
  databaseUrl: string;
  endpoint?: string;
  bucket?: string;
  key?: string;
  clientAccountId?: string;
  engagementId?: string;
  copyFile?: string;
  /** The file is bad on purpose: report the InvalidImportError's message instead of failing. */
  expectError?: boolean;
}

const job = JSON.parse(process.argv[2]!) as Job;
// BENCH_TRACE=1: RSS and heap every 2 s on stderr, to tell a plateau from growth
if (process.env.BENCH_TRACE) {
  setInterval(() => {
    const m = process.memoryUsage();
    console.error(
      `${job.mode} rss ${(m.rss / 2 ** 20).toFixed(0)} MB heap ${(m.heapUsed / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)} MB external ${(m.external / 2 ** 20).toFixed(0)} MB`,
    );
  }, 2000).unref();
}
const start = process.hrtime.bigint();
let rows: number;
let rejected: number | undefined;
let error: string | undefined;
if (job.mode === 'store-import') {
  const s3 = createS3Client({ endpoint: job.endpoint });
  try {
    const out = await storeImport(
      { s3, databaseUrl: job.databaseUrl },
      {
        bucket: job.bucket!,
        key: job.key!,
        clientAccountId: job.clientAccountId!,
        engagementId: job.engagementId!,
      },
    );
    rows = out.rowCount;
    rejected = out.rejectedCount;
  } catch (err) {
    if (!job.expectError || !(err instanceof InvalidImportError)) throw err;
    rows = 0;
    error = err.message;
  }
  s3.destroy();
} else {
  const client = new pg.Client({ connectionString: job.databaseUrl });
  await client.connect();
  await client.query('begin');
  const copy = client.query(copyFrom('copy raw_import_records (data_import_id, client_account_id, engagement_id, row_number, raw_data) from stdin'));
  await pipeline(createReadStream(job.copyFile!, { highWaterMark: 256 * 1024 }), copy);
  await client.query('commit');
  rows = copy.rowCount;
  await client.end();
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const usage = process.resourceUsage();
console.log(JSON.stringify({ rows, rejected, seconds, peakRssMb: usage.maxRSS / 1024, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, error }));
