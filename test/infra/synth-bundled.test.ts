import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLE } from '../../infra/constructs/bundling.ts';
import { synthStage } from './synth.ts';

/** One synth with esbuild bundling, as `cdk synth -c stage=dev` does it. */
describe('the dev environment synthesized like the CLI', () => {
  const assetDir = (name: string) => {
    const { stateless, stateless$, assembly } = synthStage('dev', { bundling: true });
    const id = stateless.getLogicalId(stateless.functions[name]!.node.defaultChild as any);
    const key = stateless$.toJSON().Resources[id].Properties.Code.S3Key as string;
    return join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
  };

  it('bundles every Lambda to one ESM file with a source map, the AWS SDK left out', () => {
    const { stateless } = synthStage('dev', { bundling: true });
    for (const name of Object.keys(stateless.functions)) {
      const dir = assetDir(name);
      expect(
        readdirSync(dir)
          .filter((f) => f.startsWith('index'))
          .sort(),
        name,
      ).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith(LAMBDA_BUNDLE.banner), name).toBe(true);
      expect(code, name).not.toMatch(/\bmodule\.exports\s*=\s*\{\s*handler/);
      expect(code, name).toMatch(/export\s*\{[^}]*\bhandler\b/);
    }
  });

  it('ships the SQL migrations inside the migrations Lambda', () => {
    const dir = assetDir('Migrations');
    const source = resolve(import.meta.dirname, '..', '..', 'db', 'migrations');
    const sql = readdirSync(source).filter((f) => f.endsWith('.sql'));
    expect(sql.length).toBeGreaterThan(0);
    for (const file of [...sql, 'meta/_journal.json']) {
      expect(existsSync(join(dir, 'migrations', file)), file).toBe(true);
      expect(readFileSync(join(dir, 'migrations', file), 'utf8')).toBe(readFileSync(join(source, file), 'utf8'));
    }
  });
});
