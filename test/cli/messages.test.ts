import { describe, expect, it } from 'vitest';
import { progressPrinter, reportExecution } from '../../cli/workflow-report.ts';
import type { DbHandle } from '../../db/client.ts';
import { adviceFor } from '../../functions/report-outcome/advice.ts';
import { failedStep } from '../../functions/mark-failed/mark-failed.ts';
import type { MarkFailedInput } from '../../workflows/contracts.ts';
import type { ExecutionRecord } from '../../workflows/local/execution-store.ts';
import type { ProgressEvent } from '../../workflows/local/runner.ts';

const ev = (e: Partial<ProgressEvent>): ProgressEvent => ({ execution: 'x', at: '', type: 'StateEntered', ...e }) as ProgressEvent;

function printed(events: Partial<ProgressEvent>[]): string[] {
  const lines: string[] = [];
  const print = progressPrinter((l) => lines.push(l));
  for (const e of events) print(ev(e));
  return lines;
}

describe('the CLI says what happened, and only that', () => {
  it('a caught failure prints its ✗ line and no ✓ line for the same state; a retried one that then succeeds prints its ✓', () => {
    const caught = printed([
      { type: 'StateEntered', state: 'StoreImport' },
      { type: 'StateFailed', state: 'StoreImport', error: 'InvalidImportError', cause: 'bad line 3', durationMs: 5 },
      { type: 'StateCaught', state: 'StoreImport' },
      { type: 'StateExited', state: 'StoreImport', output: { import: { rowCount: 0 } }, durationMs: 6 },
    ]);
    expect(caught.some((l) => l.includes('✗ StoreImport'))).toBe(true);
    expect(caught.some((l) => l.includes('✓ StoreImport'))).toBe(false);

    const retried = printed([
      { type: 'StateEntered', state: 'CreateMasterFlow' },
      { type: 'StateFailed', state: 'CreateMasterFlow', error: 'TransientError', cause: 'reset', durationMs: 5 },
      { type: 'StateRetried', state: 'CreateMasterFlow', attempt: 1 } as Partial<ProgressEvent>,
      { type: 'StateExited', state: 'CreateMasterFlow', output: { flow: { flowId: 'f' } }, durationMs: 9 },
    ]);
    expect(retried.some((l) => l.includes('✓ CreateMasterFlow'))).toBe(true);
  });

  it('MarkFailed says "marked failed" only when it marked something', () => {
    const marked = printed([{ type: 'StateExited', state: 'MarkFailed', output: { markFailed: { dataImportId: 'd1', marked: true } } }]);
    expect(marked.join('\n')).toMatch(/import d1 marked failed/);
    const kept = printed([{ type: 'StateExited', state: 'MarkFailed', output: { markFailed: { dataImportId: 'd1', marked: false } } }]);
    expect(kept.join('\n')).not.toMatch(/marked failed/);
    expect(kept.join('\n')).toMatch(/import d1 left as it was/);
    const none = printed([{ type: 'StateExited', state: 'MarkFailed', output: { markFailed: { dataImportId: null, marked: false } } }]);
    expect(none.join('\n')).not.toMatch(/marked failed/);
  });

  it('too many chunks is recorded against PlanChunks, with advice to start again with larger chunks, not to replay', () => {
    const input = {
      bucket: 'b',
      key: 'k',
      versionId: null,
      etag: 'e',
      clientAccountId: 'c',
      engagementId: 'g',
      import: { dataImportId: 'd', rowCount: 1001 },
      flow: { flowId: 'f' },
      error: { Error: 'TooManyChunksError', Cause: '1001 rows in chunks of 1 rows make more than 1,000 chunks' },
    } as MarkFailedInput;
    expect(failedStep(input)).toBe('PlanChunks');
    const advice = adviceFor({ name: 'TooManyChunksError', line: null, row: null, file: 'big.csv' });
    expect(advice).not.toMatch(/replay/);
    expect(advice).toMatch(/chunk/);
  });

  it('an execution of the same file running in another process: exit 0, saying where it runs and how to see its outcome', async () => {
    const record = { name: 'import-abc', status: 'RUNNING', input: { bucket: 'b', key: 'imports/c/e/f.csv', versionId: null, etag: 'x' }, events: [] } as unknown as ExecutionRecord;
    const lines: string[] = [];
    const neverUsed = new Proxy(
      {},
      {
        get: () => {
          throw new Error('the database is not needed to say it is running');
        },
      },
    ) as DbHandle;
    const code = await reportExecution(neverUsed, record, (l) => lines.push(l));
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/running in another process/);
    expect(lines.join('\n')).toMatch(/flowlink report import-abc/);
    expect(lines.join('\n')).not.toMatch(/replay/);
  });
});
