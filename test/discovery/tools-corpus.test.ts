/**
 * The tools corpus (test/fixtures/inventory/tools, see tools-expected.ts): each export read by the
 * real parsers and mapped by the real mapper, scored value by value (values right / values expected;
 * a file that does not import scores 0). Pure: no database. The same files go through the workflow
 * in tools-corpus-e2e.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverTable } from './tools-discover.ts';
import { TOOLS, type ToolAsset } from './tools-expected.ts';

const DIR = join(import.meta.dirname, '../fixtures/inventory/tools');
const FIELDS: Array<keyof ToolAsset> = ['name', 'hostname', 'ip_address', 'operating_system', 'os_version', 'cpu_cores', 'memory_gb', 'storage_gb', 'asset_type', 'environment'];
const scores: Array<{ file: string; right: number; total: number; error?: string }> = [];

afterAll(() => {
  const right = scores.reduce((s, x) => s + x.right, 0);
  const total = scores.reduce((s, x) => s + x.total, 0);
  console.log(
    `tools corpus: ${right}/${total} values right (${((100 * right) / total).toFixed(1)} %), ` +
      `${scores.filter((s) => !s.error).length}/${scores.length} files imported\n` +
      scores.map((s) => `  ${s.file.padEnd(34)} ${s.right}/${s.total}${s.error ? `  (${s.error.slice(0, 100)})` : ''}`).join('\n'),
  );
});

describe('tools corpus: every file imports and every value lands right', () => {
  it.each(TOOLS.map((t) => [t.file, t] as const))('%s', async (file, tool) => {
    const total = tool.rows.length * FIELDS.length;
    let assets: Array<Record<string, unknown>>;
    try {
      assets = (await discoverTable(file, readFileSync(join(DIR, file)))).assets;
    } catch (err) {
      scores.push({ file, right: 0, total, error: (err as Error).message });
      throw err;
    }
    const wrong: string[] = [];
    tool.rows.forEach((want, i) => {
      for (const field of FIELDS) {
        const got = assets[i]?.[field] ?? null;
        if (got !== want[field]) wrong.push(`row ${i + 1} ${field}: got ${JSON.stringify(got)}, want ${JSON.stringify(want[field])}`);
      }
    });
    scores.push({ file, right: total - wrong.length, total });
    expect(assets.length, 'assets').toBe(tool.rows.length);
    expect(wrong).toEqual([]);
  });
});
