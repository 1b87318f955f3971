import { describe, expect, it } from 'vitest';
import { importState, useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();

const rawRows = (dataImportId: string) =>
  world.sql<{ row_number: number; raw_data: Record<string, unknown>; master_flow_id: string }[]>`
    select row_number, raw_data, master_flow_id from raw_import_records where data_import_id = ${dataImportId} order by row_number`;

describe('the import workflow, end to end on the local Step Functions', () => {
  const good = [
    {
      name: 'bom-crlf.csv',
      body: '\uFEFFhostname,ip_address,memory_gb\r\nweb01,10.0.0.1,16\r\nweb02,10.0.0.2,32\r\ndb01,10.0.0.3,64\r\n',
      rows: 3,
      first: { hostname: 'web01', ip_address: '10.0.0.1', memory_gb: '16' },
    },
    {
      name: 'semicolon.csv',
      body: 'hostname;cpu_cores;memory_gb;storage_gb\nweb01;4;15,5;1.024,75\napp01;8;31,25;250\n',
      rows: 2,
      first: { hostname: 'web01', cpu_cores: '4', memory_gb: '15,5', storage_gb: '1.024,75' },
    },
    {
      name: 'servers.json',
      body: JSON.stringify([
        { hostname: 'web01', cpu_cores: 4, tags: ['a'] },
        { hostname: 'web02', cpu_cores: 8, tags: [] },
      ]),
      rows: 2,
      first: { hostname: 'web01', cpu_cores: 4 },
    },
    {
      name: 'servers.ndjson',
      body: '{"hostname":"web01","os":"Ubuntu"}\n{"hostname":"web02","os":"RHEL"}\n{"hostname":"web03","os":"Windows"}\n',
      rows: 3,
      first: { hostname: 'web01', os: 'Ubuntu' },
    },
  ];

  for (const file of good) {
    it(`stores, links, discovers and completes ${file.name}`, async () => {
      const tenant = await world.tenant();
      const { record, started } = await world.drop(tenant, file.name, file.body);

      expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
      expect(started.alreadyStarted).toBe(false);
      const state = (await importState(world.sql, tenant))!;
      expect(state).toMatchObject({
        status: 'completed',
        total_records: file.rows,
        raw: file.rows,
        linked: file.rows,
        error_message: null,
        flow_status: 'completed',
        discovery_status: 'completed',
        flows: 1,
      });
      expect(state.flow_configuration).toMatchObject({ data_import_id: state.id });
      const rows = await rawRows(state.id);
      expect(rows.map((r) => r.row_number)).toEqual(Array.from({ length: file.rows }, (_, i) => i + 1));
      expect(rows[0]!.raw_data).toMatchObject(file.first);
      expect(new Set(rows.map((r) => r.master_flow_id))).toEqual(new Set([state.master_flow_id]));
      // only ids and counts travelled between the states
      expect(record.output).toMatchObject({
        import: { dataImportId: state.id, rowCount: file.rows, reused: false },
        flow: { flowId: state.master_flow_id, reused: false },
        link: { linkedCount: file.rows },
        discovery: { discoveryFlowId: state.discovery_id, rows: file.rows },
        integrity: { ok: true },
      });
      expect(JSON.stringify(record.output)).not.toContain('web02');
    });
  }

  const bad = [
    { name: 'empty.csv', body: '', message: /empty\.csv: the file is empty/ },
    { name: 'header-only.csv', body: 'hostname,ip_address\r\n', message: /header-only\.csv: line 1: the file has a header line but no data rows/ },
    { name: 'binary.csv', body: Buffer.concat([Buffer.from('hostname,ip\nweb01,'), Buffer.from([0x00, 0x9c, 0xff, 0x00, 0x13, 0x37])]), message: /binary\.csv: byte \d+: this is binary data/ },
    { name: 'open-quote.csv', body: 'hostname,ip\nweb01,10.0.0.1\nweb02,"10.0.0.2\nweb03,10.0.0.3\n', message: /open-quote\.csv: line 3: quote opened here is never closed/ },
  ];

  for (const file of bad) {
    it(`fails ${file.name} under InvalidImportError, records why, and writes no raw record and no flow`, async () => {
      const tenant = await world.tenant();
      const { record } = await world.drop(tenant, file.name, file.body);

      expect(record.status).toBe('FAILED');
      expect(record.error?.name).toBe('InvalidImportError');
      expect(String(record.error?.cause)).toMatch(file.message);
      expect(record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual(['StoreImport', 'MarkFailed', 'ReportFailed', 'PublishFailed', 'Failed']);
      const state = (await importState(world.sql, tenant))!;
      expect(state).toMatchObject({ status: 'failed', raw: 0, master_flow_id: null, flows: 0 });
      expect(state.error_message).toMatch(file.message);
      expect(state.error_details).toMatchObject({ errorName: 'InvalidImportError', step: 'StoreImport', file: file.name });
      // where in the file: the failure state keeps what StoreImport recorded
      const where = state.error_details as { line?: number; byte?: number };
      if (file.name !== 'empty.csv') expect(where.line ?? where.byte).toBeGreaterThan(0);
    });
  }

  it('fails a file of more than 1,000 chunks through MarkFailed, with the rows and the chunk size in the reason', async () => {
    const tenant = await world.tenant();
    const body = `hostname\n${Array.from({ length: 1001 }, (_, i) => `host-${i}`).join('\n')}\n`;
    const { record } = await world.drop(tenant, 'many.csv', body, undefined, { chunkRows: 1 });

    expect(record.status).toBe('FAILED');
    expect(record.error?.name).toBe('TooManyChunksError');
    const entered = record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).toContain('TooManyChunks');
    expect(entered).not.toContain('PlanChunks');
    expect(entered.slice(-4)).toEqual(['MarkFailed', 'ReportFailed', 'PublishFailed', 'Failed']);
    const state = (await importState(world.sql, tenant))!;
    expect(state).toMatchObject({ status: 'failed', raw: 1001, linked: 0 });
    expect(state.error_message).toMatch(/1001 rows in chunks of 1 rows make more than 1,000 chunks/);
    expect(state.error_details).toMatchObject({ errorName: 'TooManyChunksError' });
  });
});
