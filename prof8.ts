import { readFileSync } from 'node:fs';
import type { Sql } from './db/client.ts';
import { seed } from './test/bench/discovery.bench.ts';
import { benchDatabase } from './test/bench/bench-db.ts';
import { planDiscoveryPhases, discoverRows } from './functions/start-discovery/discover.ts';
const rows = Number(process.argv[2] ?? 50000);
const db = await benchDatabase('prof');
const input = await seed(db.sql, rows);
await db.sql`analyze`;
await db.sql.begin((tx) => planDiscoveryPhases(tx as unknown as Sql, input));
const ticks = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
for (const pass of ['first', 'rerun']) {
  const t0 = Date.now(); const c0 = process.cpuUsage();
  let pg = 0;
  await db.sql.begin(async (tx) => {
    const [{ pid }] = await tx`select pg_backend_pid() as pid`;
    const p0 = ticks(pid);
    await discoverRows(tx as unknown as Sql, input, { fromRow: 1, toRow: rows });
    pg = ticks(pid) - p0;
  });
  const c = process.cpuUsage(c0); const s = (Date.now() - t0) / 1000;
  console.log(`${pass} ${rows} rows wall ${s}s ${(rows / s).toFixed(0)} rows/s; node cpu ${((c.user + c.system) / 1000 / rows * 1000).toFixed(0)} µs/row, pg backend cpu ${(pg / rows * 1000).toFixed(0)} µs/row`);
}
await db.close();
process.exit(0);
