import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlowlink } from '../support/cli.ts';
import { runMigrationsFunction } from '../../functions/migrations/migrations.ts';
import { runBackfillFunction } from '../../functions/backfill/backfill.ts';
import { backfillInput } from '../../functions/backfill/handler.ts';
import { migrationsInput } from '../../functions/migrations/handler.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { buildLegacyDatabase } from '../support/legacy.ts';

let db: TestDatabase;

const flowlink = (args: string[]) => runFlowlink(args, { DATABASE_URL: db.url });

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  await buildLegacyDatabase(db.sql);
});
afterAll(async () => {
  await db?.close();
});

describe('flowlink db migrate and backfill on a legacy database', () => {
  it('plain migrate exits 2 and explains --adopt-legacy', async () => {
    const run = await flowlink(['db', 'migrate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/legacy platform.*--adopt-legacy/s);
  });

  it('--adopt-legacy adopts, reports what it kept and quarantined, exits 0', async () => {
    const run = await flowlink(['db', 'migrate', '--adopt-legacy']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/adoption: \d+ steps run, 0 already done/);
    expect(run.stdout).toMatch(/assets: 4 live, 4 quarantined/);
  });

  it('backfill: bad usage exits 2', async () => {
    for (const args of [
      ['--window-imports', '2 days'],
      ['--apply', '--undo', '00000000-0000-4000-8000-000000000000'],
    ]) {
      const run = await flowlink(['backfill', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/flowlink: /);
    }
  });

  it('backfill dry run prints the plan and exits 1 while rows stay unresolved; --apply and --undo work by run id', async () => {
    const dry = await flowlink(['backfill']);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/^link data_imports \S+ → \S+ flow_configuration$/m);
    expect(dry.stdout).toMatch(/^link data_imports \S+ → \S+ proximity \(1800 s\)$/m);
    expect(dry.stdout).toMatch(/^ {2}data_imports: 6 linked, 0 released from quarantine, 5 unresolved$/m);
    expect(dry.stdout).toMatch(/^ {2}data_imports \S+: tie: /m);
    // raw records one line per data import, with their count
    expect(dry.stdout).toMatch(/^link raw_import_records of data import \S+ → \S+ import \(2 records\)$/m);
    expect(dry.stdout.match(/^link raw_import_records /gm)).toHaveLength(7);
    expect(dry.stdout).toMatch(/^ {2}raw_import_records: 8 linked, 0 released from quarantine, 3 unresolved$/m);
    expect(dry.stdout).toMatch(/^ {2}raw_import_records of data import \S+ \(1 record\): its data import \S+ has no master flow$/m);
    expect(dry.stdout).toMatch(/dry run: nothing written; --apply links these 19 rows/);
    const applied = JSON.parse((await flowlink(['backfill', '--apply', '--json'])).stdout) as { runId: string; links: unknown[]; recordLinks: unknown[] };
    expect(applied.links).toHaveLength(11);
    expect(applied.recordLinks).toHaveLength(7);
    const undo = await flowlink(['backfill', '--undo', applied.runId]);
    expect(undo.stderr).toBe('');
    expect(undo.code).toBe(0);
    expect(undo.stdout).toMatch(/undone: 14 rows restored, 5 back in quarantine/);
  });
});

describe('the migrations and backfill Lambdas (cores)', () => {
  it('parse their events and return typed summaries', async () => {
    expect(migrationsInput.parse(undefined)).toEqual({});
    expect(migrationsInput.parse({ adoptLegacy: true })).toEqual({ adoptLegacy: true });
    const summary = await runMigrationsFunction(db.url, migrationsInput.parse({}), { log: () => {} });
    expect(summary).toEqual({ applied: [], total: expect.any(Number) });
    expect(() => backfillInput.parse({ apply: true, undoRunId: '00000000-0000-4000-8000-000000000000' })).toThrow();
    expect(() => backfillInput.parse({ dryRun: true })).toThrow();
    const plan = await runBackfillFunction(db.sql, backfillInput.parse({}));
    expect(plan).toMatchObject({ applied: false, runId: null, linkCount: 19, unresolvedCount: 13 });
    expect([plan.links?.length, plan.recordLinks?.length, plan.unresolved?.length, plan.unresolvedRecords?.length]).toEqual([11, 7, 10, 3]);
  });
});
