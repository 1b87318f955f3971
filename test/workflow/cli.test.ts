import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_FILE } from '../../workflows/local/pipeline.ts';
import { runFlowlink } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();
let dir: string;

/** Runs the real CLI as a child process against this file's database and a private .flowlink. */
async function flowlink(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runFlowlink(args, { DATABASE_URL: database.current.url, FLOWLINK_LOCAL_DIR: dir, S3_ENDPOINT: '' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowlink-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('flowlink run', () => {
  it('drops the bundled sample for the demo tenant, prints each state and the summary, and exits 0', async () => {
    const { code, out, err } = await flowlink('run');
    expect(err).not.toMatch(/Error/);
    expect(code, out + err).toBe(0);
    for (const state of ['StoreImport', 'CreateMasterFlow', 'LinkRecords', 'StartDiscovery', 'ValidateIntegrity']) {
      expect(out).toMatch(new RegExp(`▶ ${state}`));
      expect(out).toMatch(new RegExp(`✓ ${state}\\s+\\d+ ms`));
    }
    expect(out).toMatch(/✓ StoreImport\s+\d+ ms\s+25 rows stored/);
    expect(out).toMatch(/execution\s+import-[0-9a-f]{64}: SUCCEEDED/);
    expect(out).toMatch(/data import\s+[0-9a-f-]{36} \(completed\)/);
    expect(out).toMatch(/flow_id\s+[0-9a-f-]{36} \(completed\)/);
    expect(out).toMatch(/rows\s+25 stored, 25 linked/);
    expect(out).toMatch(/discovery flow\s+[0-9a-f-]{36}/);
    expect(out).toMatch(/assets\s+25 discovered \(\d+ server, \d+ database.*recognised as generic_cmdb/);
    // the discovered assets themselves, in file order, with their canonical values
    expect(out).toMatch(/^1\s+web-prd-01\s+server\s+10\.20\.1\.11\s+Red Hat Enterprise Linux 8\.9\s+4\s+16\s+120\s+production$/m);
    expect(out).toMatch(/^5\s+db-prd-01\s+database\s/m);
    expect(out).toMatch(/… and 15 more/);
    expect(out).toMatch(/integrity\s+clean/);
    const [tenant] = await database.current.sql`select c.slug as client, e.slug as engagement from client_accounts c join engagements e on e.client_account_id = c.id`;
    expect(tenant).toEqual({ client: 'demo', engagement: 'demo-migration' });

    const listed = await flowlink('executions');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/SUCCEEDED .* import-[0-9a-f]{64}\s+servers\.csv/);
  });

  it('exits 1 with the failure in the summary when the execution fails, and 2 for a missing file or an unknown client', async () => {
    writeFileSync(join(dir, 'header-only.csv'), 'hostname,ip\n');
    const failed = await flowlink('run', join(dir, 'header-only.csv'), '--client', 'demo');
    expect(failed.code, failed.out + failed.err).toBe(1);
    expect(failed.out).toMatch(/✗ StoreImport .*InvalidImportError: header-only\.csv: line 1/);
    expect(failed.out).toMatch(/FAILED \(InvalidImportError\)/);

    const missing = await flowlink('run', join(dir, 'nope.csv'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.csv: no such file/);

    const unknown = await flowlink('run', '--client', 'nobody');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown client "nobody"/);
  });

  it('exits 3 when the import completed with rejected rows or field warnings, 1 above --max-rejected-percent; --help says so', async () => {
    writeFileSync(join(dir, 'some-bad.csv'), 'hostname,ip,memory_gb\nweb01,10.0.0.1,16\nweb02,10.0.0.2,sixteen\nweb03,10.0.0.3,8,extra\nweb04,10.0.0.4,8\n');
    const withErrors = await flowlink('run', join(dir, 'some-bad.csv'), '--client', 'demo', '--max-rejected-percent', '50');
    expect(withErrors.code, withErrors.out + withErrors.err).toBe(3);
    expect(withErrors.out).toMatch(/data import\s+[0-9a-f-]{36} \(completed_with_errors\)/);
    expect(withErrors.out).toMatch(/rows\s+4 stored, 4 linked, 1 rejected, 1 field warning\(s\)/);

    writeFileSync(join(dir, 'some-bad-strict.csv'), 'hostname,ip,memory_gb\nweb01,10.0.0.1,16\nweb03,10.0.0.3,8,extra\n');
    const strict = await flowlink('run', join(dir, 'some-bad-strict.csv'), '--client', 'demo', '--max-rejected-percent', '0');
    expect(strict.code, strict.out + strict.err).toBe(1);
    expect(strict.out).toMatch(/FAILED \(TooManyRejectedRowsError\)/);

    const bad = await flowlink('run', '--max-rejected-percent', 'lots');
    expect(bad.code).toBe(2);
    const help = await flowlink('run', '--help');
    expect(help.out).toMatch(/^ {2}3 {2}imported with errors/m);
    expect(help.out).toMatch(/--max-rejected-percent <p>/);
  });

  it('--chunk-rows splits link and discovery into chunks and prints each chunk as it ends', async () => {
    writeFileSync(join(dir, 'servers-copy.csv'), readFileSync(SAMPLE_FILE));
    const { code, out, err } = await flowlink('run', join(dir, 'servers-copy.csv'), '--chunk-rows', '10', '--map-concurrency', '2');
    expect(code, out + err).toBe(0);
    expect(out).toMatch(/✓ PlanChunks\s+\d+ ms\s+3 chunk\(s\) of up to 10 rows/);
    for (const map of ['LinkRecords', 'StartDiscovery']) {
      const lines = out.split('\n').filter((l) => l.trim().startsWith(`${map} chunk`));
      expect(lines.map((l) => l.match(/chunk (\d)\/3 ✓ (\d+) rows/)?.slice(1)).sort()).toEqual([
        ['1', '10'],
        ['2', '10'],
        ['3', '5'],
      ]);
    }
    expect(out).toMatch(/✓ FinishLink\s+\d+ ms\s+25 rows linked/);
    expect(out).toMatch(/rows\s+25 stored, 25 linked/);
    expect(out).toMatch(/assets\s+25 discovered/);

    const badChunk = await flowlink('run', '--chunk-rows', '0');
    expect(badChunk.code).toBe(2);
    expect(badChunk.err).toMatch(/--chunk-rows must be a positive integer, not "0"/);
    const hugeChunk = await flowlink('run', '--chunk-rows', '3000000000');
    expect(hugeChunk.code).toBe(2);
    expect(hugeChunk.err).toMatch(/--chunk-rows must be at most 250000, not "3000000000"/);
    const noConcurrency = await flowlink('run', '--map-concurrency', '0');
    expect(noConcurrency.code).toBe(2);
  }, 120_000);
});
