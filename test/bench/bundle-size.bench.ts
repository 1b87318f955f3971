/**
 * Bundle size of every Lambda, bundled with esbuild exactly as the CDK does (the options come from
 * infra/constructs/bundling.ts, which the FlowlinkFunction construct also reads). Target: each
 * minified bundle at most 1.5 MB, so cold starts stay short.
 *
 * `npx tsx test/bench/bundle-size.bench.ts`, or through `npm run bench`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { handlerEntry, LAMBDA_BUNDLE, LAMBDA_NAMES } from '../../infra/constructs/bundling.ts';
import type { BenchRow } from './report.ts';

/** 1.5 MB, in bytes. */
export const MAX_BUNDLE_BYTES = 1_500_000;

/** Bundles each Lambda into a temporary folder; one row per Lambda with its index.mjs size. */
export async function run(): Promise<BenchRow[]> {
  const out = mkdtempSync(join(tmpdir(), 'flowlink-bundles-'));
  try {
    const rows: BenchRow[] = [];
    for (const name of LAMBDA_NAMES) {
      const outfile = join(out, name, 'index.mjs');
      const started = performance.now();
      await build({
        entryPoints: [handlerEntry(name)],
        outfile,
        bundle: true,
        platform: LAMBDA_BUNDLE.platform,
        format: LAMBDA_BUNDLE.format,
        target: LAMBDA_BUNDLE.target,
        minify: LAMBDA_BUNDLE.minify,
        sourcemap: LAMBDA_BUNDLE.sourcemap,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        external: [...LAMBDA_BUNDLE.external],
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: { js: LAMBDA_BUNDLE.banner },
        logLevel: 'error',
      });
      const seconds = (performance.now() - started) / 1000;
      const bytes = statSync(outfile).size;
      const gzipBytes = gzipSync(readFileSync(outfile)).length;
      rows.push({
        name,
        bytes,
        gzipBytes,
        seconds,
        // the shared table has no size column: the figure travels in the target cell
        target: `${(bytes / 1e6).toFixed(2)} MB of max 1.5 MB`,
        ok: bytes <= MAX_BUNDLE_BYTES,
        note: `${(bytes / 1e6).toFixed(2)} MB minified, ${(gzipBytes / 1e6).toFixed(2)} MB gzipped`,
      });
    }
    return rows;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run();
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'lambda'.padEnd(width)}  minified KB  gzipped KB  ≤ 1.5 MB`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(width)}  ${String(Math.round(Number(r.bytes) / 1024)).padStart(11)}  ${String(Math.round(Number(r.gzipBytes) / 1024)).padStart(10)}  ${r.ok ? 'yes' : 'NO'}`);
  }
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
}
