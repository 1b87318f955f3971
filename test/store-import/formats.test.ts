import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useStoreImportWorld, utf16 } from './support.ts';

const world = useStoreImportWorld();

/** Imports the bytes and returns the import row and its raw records. */
async function importFile(name: string, body: Buffer | string) {
  const { key, result } = await world.drop(name, body);
  const out = await result;
  const imp = (await world.importOf(key))!;
  return { out, key, imp, rows: await world.rows(out.dataImportId), data: (await world.rows(out.dataImportId)).map((r) => r.raw_data) };
}

describe('StoreImport formats', () => {
  it('stores a plain CSV as one import and one raw record per row, values kept as strings', async () => {
    const body = 'hostname,ip,cpu,serial\nweb01,10.0.0.1,4,007\ndb01,10.0.0.2,16,\n';
    const { out, key, imp, rows } = await importFile('servers.csv', body);
    expect(out).toEqual({ dataImportId: imp.id, rowCount: 2, rejectedCount: 0, reused: false });
    expect(rows).toEqual([
      { row_number: 1, raw_data: { hostname: 'web01', ip: '10.0.0.1', cpu: '4', serial: '007' } },
      { row_number: 2, raw_data: { hostname: 'db01', ip: '10.0.0.2', cpu: '16', serial: '' } },
    ]);
    expect(imp).toMatchObject({
      status: 'stored',
      filename: 'servers.csv',
      import_name: 'servers.csv',
      total_records: 2,
      file_size: String(Buffer.byteLength(body)), // bigint comes back as text
      file_hash: createHash('sha256').update(body).digest('hex'),
      mime_type: 'text/csv',
      s3_bucket: world.s3.bucket,
      s3_key: key,
      s3_version_id: null,
      s3_etag: createHash('md5').update(body).digest('hex'),
      master_flow_id: null,
      client_account_id: world.tenant.clientAccountId,
      engagement_id: world.tenant.engagementId,
      error_message: null,
    });
    expect(imp.import_config).toMatchObject({ format: 'csv', delimiter: ',', encoding: 'utf-8', bom: false, headers: ['hostname', 'ip', 'cpu', 'serial'], headerRenames: [] });
    const [tenancy] = await world.sql`
      select count(*)::int as n, count(distinct client_account_id)::int as clients, bool_and(master_flow_id is null) as unlinked,
             bool_and(client_account_id = ${world.tenant.clientAccountId} and engagement_id = ${world.tenant.engagementId}) as scoped
      from raw_import_records where data_import_id = ${out.dataImportId}`;
    expect(tenancy).toEqual({ n: 2, clients: 1, unlinked: true, scoped: true });
  });

  it('reads UTF-8 with BOM and CRLF, with quoted line breaks, delimiters, quotes and non-ASCII text', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Name,Location,Notes\r\n"web01","Zürich, CH","line one\r\nline two"\r\n"東京-db","Tōkyō","say ""hi"" 🚀"\r\n')]);
    const { imp, rows } = await importFile('bom-crlf.csv', body);
    expect(rows).toEqual([
      { row_number: 1, raw_data: { Name: 'web01', Location: 'Zürich, CH', Notes: 'line one\r\nline two' } },
      { row_number: 2, raw_data: { Name: '東京-db', Location: 'Tōkyō', Notes: 'say "hi" 🚀' } },
    ]);
    expect(imp.import_config).toMatchObject({ bom: true, encoding: 'utf-8', headers: ['Name', 'Location', 'Notes'] });
  });

  it('detects semicolons (with decimal commas) and keeps the numbers as written', async () => {
    const { imp, data } = await importFile('semicolon.csv', 'server;cpu_ghz;cost\nweb01;2,4;1.234,50\napp02;3,1;99,00\n');
    expect(data).toEqual([
      { server: 'web01', cpu_ghz: '2,4', cost: '1.234,50' },
      { server: 'app02', cpu_ghz: '3,1', cost: '99,00' },
    ]);
    expect(imp.import_config).toMatchObject({ delimiter: ';' });
  });

  it('detects tabs', async () => {
    const { imp, data } = await importFile('rvtools.tsv', 'VM\tPowerstate\tCPUs\nvm-1\tpoweredOn\t2\nvm 2, old\tpoweredOff\t1\n');
    expect(data).toEqual([
      { VM: 'vm-1', Powerstate: 'poweredOn', CPUs: '2' },
      { VM: 'vm 2, old', Powerstate: 'poweredOff', CPUs: '1' },
    ]);
    expect(imp).toMatchObject({ mime_type: 'text/tab-separated-values' });
    expect(imp.import_config).toMatchObject({ delimiter: '\t' });
  });

  it("honours Excel's sep= first line and does not store it as a row", async () => {
    const { imp, rows } = await importFile('excel.csv', 'sep=|\r\nhost|os\r\nweb01|Linux, RHEL 8\r\n');
    expect(rows).toEqual([{ row_number: 1, raw_data: { host: 'web01', os: 'Linux, RHEL 8' } }]);
    expect(imp.import_config).toMatchObject({ delimiter: '|', sepLine: true, headers: ['host', 'os'] });
  });

  it('reads CR-only line endings, including a quoted CR', async () => {
    const { data } = await importFile('classic-mac.csv', 'a,b\r1,"x\ry"\r2,z\r');
    expect(data).toEqual([
      { a: '1', b: 'x\ry' },
      { a: '2', b: 'z' },
    ]);
  });

  it('reads a one-column list (no delimiter anywhere)', async () => {
    const { imp, data } = await importFile('hosts.txt', 'hostname\nweb01\ndb 02\n');
    expect(data).toEqual([{ hostname: 'web01' }, { hostname: 'db 02' }]);
    expect(imp.import_config).toMatchObject({ format: 'csv', headers: ['hostname'] });
  });

  it('skips blank lines between rows but numbers the data rows without gaps', async () => {
    const { rows } = await importFile('gaps.csv', 'a,b\n1,2\n\n3,4\n\n');
    expect(rows).toEqual([
      { row_number: 1, raw_data: { a: '1', b: '2' } },
      { row_number: 2, raw_data: { a: '3', b: '4' } },
    ]);
  });

  it.each([['le'], ['be']] as const)('reads UTF-16 %s with BOM', async (endian) => {
    const { imp, data } = await importFile(`utf16${endian}.csv`, utf16('host;city\r\nsrv-ü;Köln 🚀\r\nsrv-2;"東京\r\nJapan"\r\n', endian));
    expect(data).toEqual([
      { host: 'srv-ü', city: 'Köln 🚀' },
      { host: 'srv-2', city: '東京\r\nJapan' },
    ]);
    expect(imp.import_config).toMatchObject({ encoding: `utf-16${endian}`, bom: true, delimiter: ';' });
  });

  it('decodes multi-byte characters split across S3 chunks', async () => {
    const lines = ['id,city,note'];
    for (let i = 1; i <= 6000; i++) lines.push(`${i},Zürich 東京 ${i},🚀 ${'é'.repeat(i % 7)}`);
    const { out, data } = await importFile('large-utf8.csv', `${lines.join('\n')}\n`);
    expect(out.rowCount).toBe(6000);
    expect(data[4999]).toEqual({ id: '5000', city: 'Zürich 東京 5000', note: `🚀 ${'é'.repeat(5000 % 7)}` });
    expect(data.every((r, i) => r.id === String(i + 1) && r.city === `Zürich 東京 ${i + 1}`)).toBe(true);
  });

  it('renames duplicate and empty header names so that no value is lost, and records the renaming', async () => {
    const { imp, data } = await importFile('dupes.csv', 'name,,name,ip, name,column_2\na,b,c,d,e,f\n');
    expect(data).toEqual([{ name: 'a', column_2: 'f', column_2_2: 'b', name_2: 'c', ip: 'd', name_3: 'e' }]);
    expect(imp.import_config).toMatchObject({
      headers: ['name', 'column_2_2', 'name_2', 'ip', 'name_3', 'column_2'],
      headerRenames: [
        { column: 2, from: '', to: 'column_2_2' },
        { column: 3, from: 'name', to: 'name_2' },
        { column: 5, from: ' name', to: 'name_3' },
      ],
    });
  });

  it('stores a JSON array of objects element by element, keeping JSON values and the union of keys', async () => {
    const body = JSON.stringify(
      [
        { hostname: 'web01', cpu: 4, tags: ['prod', 'eu'], owner: { team: 'Ops' } },
        { hostname: 'db-ü', cpu: 16, decommissioned: true, note: 'line\nbreak' },
      ],
      null,
      2,
    );
    const { imp, rows } = await importFile('servers.json', body);
    expect(rows).toEqual([
      { row_number: 1, raw_data: { hostname: 'web01', cpu: 4, tags: ['prod', 'eu'], owner: { team: 'Ops' } } },
      { row_number: 2, raw_data: { hostname: 'db-ü', cpu: 16, decommissioned: true, note: 'line\nbreak' } },
    ]);
    expect(imp).toMatchObject({ mime_type: 'application/json', total_records: 2 });
    expect(imp.import_config).toMatchObject({ format: 'json', headers: ['hostname', 'cpu', 'tags', 'owner', 'decommissioned', 'note'] });
  });

  it('stores NDJSON (CRLF, blank lines, UTF-8 BOM)', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"host":"a","cpu":"2"}\r\n\r\n{"host":"b\\u00fc","ram":8}\r\n')]);
    const { imp, rows } = await importFile('servers.ndjson', body);
    expect(rows).toEqual([
      { row_number: 1, raw_data: { host: 'a', cpu: '2' } },
      { row_number: 2, raw_data: { host: 'bü', ram: 8 } },
    ]);
    expect(imp).toMatchObject({ mime_type: 'application/x-ndjson' });
    expect(imp.import_config).toMatchObject({ format: 'ndjson', bom: true, headers: ['host', 'cpu', 'ram'] });
  });

  it('reads a German Excel CSV (Windows-1252, ";", decimal commas) and records the encoding; ends in a 1252 byte too', async () => {
    const body = Buffer.from('Servername;RAM (GB);Standort\r\nmuc-01;7,5;München\r\ndus-02;16;Düsseldorf\r\nber-03;0,5;Köln Süd\r\nx;1;Mü', 'latin1');
    const { imp, data } = await importFile('de-1252.csv', body);
    expect(data).toEqual([
      { Servername: 'muc-01', 'RAM (GB)': '7,5', Standort: 'München' },
      { Servername: 'dus-02', 'RAM (GB)': '16', Standort: 'Düsseldorf' },
      { Servername: 'ber-03', 'RAM (GB)': '0,5', Standort: 'Köln Süd' },
      { Servername: 'x', 'RAM (GB)': '1', Standort: 'Mü' },
    ]);
    expect(imp.import_config).toMatchObject({ format: 'csv', delimiter: ';', encoding: 'windows-1252' });
  });

  it('skips the #TYPE line Windows PowerShell 5.1 writes before the header, and records it', async () => {
    const body = '#TYPE VMware.VimAutomation.ViCore.Impl.V1.VM.UniversalVirtualMachineImpl\r\n"Name","NumCpu","MemoryGB"\r\n"web01","2","4"\r\n';
    const { imp, data } = await importFile('get-vm.csv', body);
    expect(data).toEqual([{ Name: 'web01', NumCpu: '2', MemoryGB: '4' }]);
    expect(imp.import_config).toMatchObject({ headers: ['Name', 'NumCpu', 'MemoryGB'], preamble: '#TYPE VMware.VimAutomation.ViCore.Impl.V1.VM.UniversalVirtualMachineImpl' });
  });

  it('starts a CSV at its header when a title, notes and a group-header row come first (a sheet saved as CSV)', async () => {
    const body = 'Contoso server list;;;;\r\nNotes: as of March;;;;\r\n;;;;\r\nIdentity;;Sizing;;\r\nServer;IP;CPU;RAM;Disk\r\nweb01;10.0.0.1;4;16 GB;100 GB\r\n';
    const { imp, data } = await importFile('titled.csv', body);
    expect(data).toEqual([{ Server: 'web01', IP: '10.0.0.1', CPU: '4', RAM: '16 GB', Disk: '100 GB' }]);
    expect(imp.import_config).toMatchObject({ delimiter: ';', lines_above_header: 4, header_line: 5 });
  });

  it('finds the records of one JSON object by their path (aws ec2 describe-instances), raw records kept whole', async () => {
    const instance = (id: string) => ({ InstanceId: id, Tags: [{ Key: 'Name', Value: `vm-${id}` }], State: { Name: 'running' } });
    const body = JSON.stringify({ Reservations: [{ Instances: [instance('i-1'), instance('i-2')], OwnerId: '1' }, { Instances: [instance('i-3')] }] }, null, 2);
    const { imp, data } = await importFile('ec2.json', body);
    expect(data).toEqual([instance('i-1'), instance('i-2'), instance('i-3')]);
    expect(imp.import_config).toMatchObject({ format: 'json', record_path: 'Reservations[].Instances[]', headers: ['InstanceId', 'Tags', 'State'] });
  });

  it('keeps backslashes, tabs and quotes intact through COPY', async () => {
    const { data } = await importFile('escapes.csv', 'path,cmd\n"C:\\Program Files\\x","a\tb ""q"" \\n"\n');
    expect(data).toEqual([{ path: 'C:\\Program Files\\x', cmd: 'a\tb "q" \\n' }]);
  });
});
