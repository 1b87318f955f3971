import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { outcomeReport, reportKey } from '../../workflows/report.ts';
import { importState, useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();

/**
 * The report's advice comes from the refused file's reason code (stored with the import), not from
 * its message text, which carries the file's name: a file named like another problem gets the
 * advice of its own.
 */
describe("the advice of a refused file follows its reason code, whatever the file's name says", () => {
  it.each([
    // a quote never closed in a file whose name mentions an encoding (a ragged row is a rejected row,
    // not a refused file); bad JSON in a file whose name mentions quotes
    ['utf-16 export.csv', 'hostname,ip_address\nweb01,10.0.0.1\nweb02,"10.0.0.2\nweb03,10.0.0.3\n', 'unclosed-quote', /^Fix utf-16 export\.csv at line 3, data row 2: a quoted value is not closed/],
    ['quotes.json', '[{"hostname": "web01"}, {"hostname": }]', 'invalid-json', /^Fix the JSON of quotes\.json at line 1 /],
  ])('%s', async (name, content, reason, advice) => {
    const tenant = await world.tenant();
    const { record, started } = await world.drop(tenant, name, content);
    expect(record.status).toBe('FAILED');
    const out = await world.s3.client.send(new GetObjectCommand({ Bucket: world.s3.bucket, Key: reportKey(started.input) }));
    const report = outcomeReport.parse(JSON.parse(await out.Body!.transformToString()));
    expect(report.error!.advice).toMatch(advice);
    const state = (await importState(world.sql, tenant))!;
    const [stored] = await world.sql<{ reason: string | null }[]>`select error_details->>'reason' as reason from data_imports where id = ${state.id}`;
    expect(stored!.reason).toBe(reason);
  });
});
