import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const prefix = mkdtempSync(join(tmpdir(), 'flowlink-global-'));
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

describe('the flowlink bin, installed', () => {
  it('package.json names an entry that exists, is executable and starts with a shebang', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const entry = join(ROOT, pkg.bin.flowlink!);
    expect(readFileSync(entry, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(statSync(entry).mode & 0o111).toBe(0o111);
  });

  it('runs from another directory after `npm install -g <project>` (what a global install or npm link does), through its bin link', { timeout: 180_000 }, () => {
    // a folder installs as a symlink with its bin linked into <prefix>/bin: nothing is downloaded
    const install = spawnSync('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--loglevel=error', ROOT], { encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    const bin = join(prefix, 'bin', 'flowlink');
    expect(realpathSync(bin)).toBe(realpathSync(join(ROOT, 'cli', 'flowlink.mjs')));

    const env = { ...process.env, PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH}` };
    const help = spawnSync('flowlink', ['--help'], { cwd: tmpdir(), env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: flowlink /);
    for (const command of ['run', 'executions', 'replay', 'report', 'integrity', 'backfill', 'db']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));

    const usage = spawnSync('flowlink', ['report'], { cwd: tmpdir(), env, encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument 'execution'/);
  });
});
