import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesFailingWithRenamedKey } from './support/renamed-key.ts';

/**
 * The schema in db/schema/ is the one source of table and column names: renaming a column's
 * TypeScript key makes the type checker point at every query that uses the column (one tsc run of
 * the runtime code per rename, in a temporary copy).
 */
describe('a column key renamed in db/schema/ fails the type check wherever the column is used', () => {
  it.each([
    {
      column: 'rawImportRecords.masterFlowId',
      file: 'discovery.ts',
      table: 'rawImportRecords',
      key: 'masterFlowId',
      users: ['db/backfill/index.ts', 'db/backfill/plan.ts', 'functions/link-records/link-records.ts', 'workflows/local/pipeline.ts'],
    },
    {
      column: 'assets.hostname',
      file: 'assets.ts',
      table: 'assets',
      key: 'hostname',
      users: ['functions/start-discovery/write-discovery.ts', 'workflows/local/pipeline.ts'],
    },
    {
      column: 'dataImports.s3Etag',
      file: 'discovery.ts',
      table: 'dataImports',
      key: 's3Etag',
      users: ['db/queries/imports.ts', 'functions/store-import/store-import.ts'],
    },
  ])(
    '$column',
    async ({ file, table, key, users }) => {
      const failing = await filesFailingWithRenamedKey(file, table, key);
      expect(failing).toEqual(expect.arrayContaining(users));
      // the copy type-checks otherwise: a file that never touches the table is not among them
      expect(failing).not.toContain('functions/trigger/trigger.ts');
    },
    300_000,
  );
});

// tsc names files relative to the working directory: the answer must not depend on where the clone
// (or the process) sits relative to the temporary copy
it('names the same files whatever the working directory', async () => {
  const base = mkdtempSync(join(tmpdir(), 'flowlink-cwd-'));
  const deep = join(base, 'a', 'b', 'c', 'd');
  mkdirSync(deep, { recursive: true });
  const cwd = process.cwd();
  try {
    process.chdir(deep);
    const failing = await filesFailingWithRenamedKey('assets.ts', 'assets', 'hostname');
    expect(failing).toEqual(expect.arrayContaining(['functions/start-discovery/write-discovery.ts']));
    expect(failing.every((f) => !f.startsWith('..'))).toBe(true);
  } finally {
    process.chdir(cwd);
    rmSync(base, { recursive: true, force: true });
  }
}, 300_000);
