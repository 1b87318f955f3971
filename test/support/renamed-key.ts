import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** What runs in production: the type checker sees these and nothing else (no tests, no CDK app). */
export const RUNTIME_DIRS = ['cli', 'db', 'functions', 'workflows'] as const;

/**
 * Copies the runtime code to a temporary folder, renames one column's TypeScript key in the table's
 * pgTable(...) definition in db/schema/ (the key and `t.<key>` in that table's constraint callback),
 * type-checks the copy, and returns the files (relative to the repository) that tsc then reports.
 */
export async function filesFailingWithRenamedKey(schemaFile: string, table: string, key: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlink-rename-'));
  try {
    for (const d of RUNTIME_DIRS) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json')); // "type": "module"
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: [...RUNTIME_DIRS] }));

    const path = join(dir, 'db', 'schema', schemaFile);
    const source = readFileSync(path, 'utf8');
    const start = source.indexOf(`export const ${table} = pgTable(`);
    if (start < 0) throw new Error(`no pgTable ${table} in db/schema/${schemaFile}`);
    const next = source.indexOf('\nexport const ', start + 1);
    const end = next < 0 ? source.length : next;
    const block = source.slice(start, end);
    const renamed = block.replace(new RegExp(`^(\\s+)${key}:`, 'm'), `$1${key}Renamed:`).replace(new RegExp(`\\bt\\.${key}\\b`, 'g'), `t.${key}Renamed`);
    if (renamed === block) throw new Error(`no column key ${key} in ${table}`);
    writeFileSync(path, source.slice(0, start) + renamed + source.slice(end));

    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // tsc names files relative to its working directory: run it in the copy, whatever ours is
    const out = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', dir], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }).then(
      (r) => r.stdout,
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    const files = new Set<string>();
    for (const line of out.split('\n')) {
      const m = /^(.+?)\(\d+,\d+\): error TS/.exec(line);
      if (m) files.add(relative(dir, resolve(dir, m[1]!)));
    }
    return [...files].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const [file, table, key] = process.argv.slice(2);
  if (!file || !table || !key) {
    console.error('usage: npx tsx test/support/renamed-key.ts <schema file> <table const> <column key>   e.g. discovery.ts rawImportRecords masterFlowId');
    process.exit(2);
  }
  console.log((await filesFailingWithRenamedKey(file, table, key)).join('\n'));
}
