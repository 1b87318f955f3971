import { resolve } from 'node:path';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: NodejsFunction's projectRoot and the base of every entry path. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** Every Lambda of the product, each at `functions/<name>/handler.ts` exporting `handler`. */
export const LAMBDA_NAMES = [
  'trigger',
  'store-import',
  'create-master-flow',
  'link-records',
  'start-discovery',
  'reconcile-inventory',
  'validate-integrity',
  'mark-failed',
  'report-outcome',
  'migrations',
  'backfill',
  'retract',
  'integrity-check',
] as const;
export type LambdaName = (typeof LAMBDA_NAMES)[number];

/** Path of a Lambda's entry point under `root`. */
export function handlerEntry(name: LambdaName, root = PROJECT_ROOT): string {
  return resolve(root, 'functions', name, 'handler.ts');
}

/**
 * The one definition of how a Lambda is bundled, read by the StepFunction construct (through
 * {@link cdkBundling}) and by the bundle-size benchmark (through the same fields with the esbuild
 * API), so the benchmark measures exactly what deploys.
 */
export const LAMBDA_BUNDLE = {
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: true,
  // the map stays small: stack traces need names and lines, not the sources
  sourcesContent: false,
  // the Node.js 24 runtime ships AWS SDK v3
  external: ['@aws-sdk/*'],
  mainFields: ['module', 'main'],
  // ESM output with CommonJS dependencies (pg, exceljs) that call require() on Node built-ins
  banner: "import { createRequire as __flowlinkRequire } from 'node:module'; const require = __flowlinkRequire(import.meta.url);",
} as const;

/** {@link LAMBDA_BUNDLE} as NodejsFunction bundling options: local esbuild, never Docker. */
export function cdkBundling(extra: Pick<BundlingOptions, 'commandHooks'> = {}): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: LAMBDA_BUNDLE.target,
    minify: LAMBDA_BUNDLE.minify,
    sourceMap: LAMBDA_BUNDLE.sourcemap,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    externalModules: [...LAMBDA_BUNDLE.external],
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: LAMBDA_BUNDLE.banner,
    forceDockerBundling: false,
    ...extra,
  };
}
