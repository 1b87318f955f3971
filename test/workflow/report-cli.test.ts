import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeReport } from '../../workflows/report.ts';
import { runFlowlink } from '../support/cli.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();
let dir: string;

async function flowlink(...args: string[]) {
  const r = await runFlowlink(args, { DATABASE_URL: database.current.url, FLOWLINK_LOCAL_DIR: dir, S3_ENDPOINT: '' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowlink-report-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('flowlink run and flowlink report', () => {
  it('run prints where the report is; report prints it, --json as written; the event is in .flowlink/events.ndjson', { timeout: 240_000 }, async () => {
    const run = await flowlink('run');
    expect(run.code, run.out + run.err).toBe(0);
    const [, bucket, key, execution] = run.out.match(/^report\s+s3:\/\/([^/]+)\/(reports\/\S+\.json)\s+\(`flowlink report (\S+)` prints it\)$/m)!;
    expect(run.out).toMatch(/✓ ReportSucceeded\s+\d+ ms\s+report s3:\/\//);
    expect(run.out).toMatch(/✓ PublishSucceeded\s+\d+ ms\s+event "Import Succeeded"/);

    const json = await flowlink('report', execution!, '--json');
    expect(json.code, json.err).toBe(0);
    const report = outcomeReport.parse(JSON.parse(json.out));
    expect(report).toMatchObject({ status: 'succeeded', execution, report: { bucket, key }, rows: { stored: 25, linked: 25 }, assets: 25 });
    const [row] = await database.current.sql`select id, master_flow_id from data_imports where s3_key = ${report.key}`;
    expect(report).toMatchObject({ dataImportId: row!.id, flowId: row!.master_flow_id });

    const text = await flowlink('report', execution!);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^servers\.csv: import SUCCEEDED$/m);
    expect(text.out).toMatch(/^ {2}rows\s+25 stored, 25 linked, 0 skipped$/m);
    expect(text.out).toMatch(/^ {2}Hostname\s+→ {2}hostname \(exact, 1\): generic CMDB|^ {2}Hostname\s+→ {2}hostname \(exact, 1\): header is the asset field "hostname"$/m);
    expect(text.out).toMatch(/flowlink mapping set --engagement <engagement-id> --header-set [0-9a-f]{16} "<column>=<field>\[:unit\]"/);

    const events = readFileSync(join(dir, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'flowlink', 'detail-type': 'Import Succeeded', detail: { dataImportId: row!.id, execution, report: { key } } });
  });

  it('report exits 1 for a failed import, printing the error and what to do; 2 for an unknown execution', { timeout: 240_000 }, async () => {
    writeFileSync(join(dir, 'broken.csv'), 'hostname,ip\nweb01,10.0.0.1\nweb02,"10.0.0.2\n');
    const run = await flowlink('run', join(dir, 'broken.csv'), '--client', 'demo');
    expect(run.code).toBe(1);
    const execution = run.out.match(/`flowlink report (\S+)` prints it/)![1]!;
    const text = await flowlink('report', execution);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^broken\.csv: import FAILED$/m);
    expect(text.out).toMatch(/^ {2}error\s+InvalidImportError in StoreImport \(broken\.csv, line 3, row 2\)$/m);
    expect(text.out).toMatch(/^ {2}what to do\s+Fix broken\.csv at line 3, data row 2: /m);

    const unknown = await flowlink('report', 'import-nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/import-nope/);
  });
});
