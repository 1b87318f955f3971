/**
 * What `prepare: false` costs the Lambdas. Through the RDS Proxy a named prepared statement is
 * session state that pins the client's session, so the Lambdas' postgres.js connections send every
 * statement unprepared (parse and plan each time). Measured here on the two steps that send the most
 * statements, each on one connection as a Lambda has it, unprepared beside prepared, interleaved
 * (A B A B) on the same data:
 * - ValidateIntegrity, run again and again on one flow: many small catalog and index queries per
 *   run, the worst case for unprepared statements;
 * - StartDiscovery's writes (re-run over the same flow): a few large statements per page of 5 000 rows.
 * Per statement, planning again costs something (ValidateIntegrity alone runs 1.5–2.5× slower on a
 * loaded machine); per import it is tens of milliseconds. Target: one import's statements (ValidateIntegrity once plus the
 * discovery writes) take at most 1.1× the prepared time (judged at full size only).
 *   npx tsx test/bench/prepare.bench.ts [--rows 20000]
 */
import { parseArgs } from 'node:util';
import { finishReconcile, reconcileChunk } from '../../functions/reconcile-inventory/reconcile-inventory.ts';
import { connect, type DbHandle, type Sql } from '../../db/client.ts';
import { runDiscovery } from '../support/whole-import.ts';
import { validateIntegrity } from '../../functions/validate-integrity/validate-integrity.ts';
import { benchDatabase, isMain, timed } from './bench-db.ts';
import { seed } from './discovery.bench.ts';
import { formatTable, type BenchRow } from './report.ts';

const MAX_RATIO = 1.1;

export async function run(opts: { rows: number; validations?: number }): Promise<BenchRow[]> {
  const db = await benchDatabase('prepare');
  const handles: Record<'prepared' | 'unprepared', DbHandle> = {
    prepared: connect(db.url, { max: 1, prepare: true }),
    unprepared: connect(db.url, { max: 1, prepare: false }),
  };
  try {
    const input = await seed(db.sql, opts.rows);
    await db.sql.begin((tx) => runDiscovery(tx as unknown as Sql, input));
    // the workflow reconciles a drop into the inventory before ValidateIntegrity proves it
    const ids = { clientAccountId: input.clientAccountId, engagementId: input.engagementId, dataImportId: input.dataImportId, flowId: input.flowId };
    await reconcileChunk(db.sql, { ...ids, fromRow: 1, chunkRows: opts.rows, chunk: 0, chunks: 1 });
    await finishReconcile(db.sql, ids);
    const validations = opts.validations ?? 200;
    const work = {
      [`ValidateIntegrity × ${validations}`]: async (sql: Sql) => {
        for (let i = 0; i < validations; i++) await validateIntegrity(sql, input);
      },
      'StartDiscovery re-run (writes)': async (sql: Sql) => {
        await sql.begin((tx) => runDiscovery(tx as unknown as Sql, input));
      },
    };
    const out: BenchRow[] = [];
    const perRun: Record<string, { prepared: number; unprepared: number }> = {};
    for (const [name, step] of Object.entries(work)) {
      // one warm-up each (connections, plans, caches), then A B A B
      for (const h of Object.values(handles)) await step(h.sql);
      const seconds = { prepared: 0, unprepared: 0 };
      for (let round = 0; round < 2; round++) {
        for (const mode of ['unprepared', 'prepared'] as const) seconds[mode] += (await timed(() => step(handles[mode].sql))).seconds;
      }
      perRun[name] = { prepared: seconds.prepared / 2, unprepared: seconds.unprepared / 2 };
      out.push({
        name: `prepare: false, ${name}`,
        rows: opts.rows,
        seconds: seconds.unprepared / 2,
        reference: `prepared ${(seconds.prepared / 2).toFixed(2)} s`,
        ratio: seconds.unprepared / seconds.prepared,
      });
    }
    const [validate, discover] = Object.values(perRun) as [{ prepared: number; unprepared: number }, { prepared: number; unprepared: number }];
    const perImport = {
      prepared: validate.prepared / validations + discover.prepared,
      unprepared: validate.unprepared / validations + discover.unprepared,
    };
    const ratio = perImport.unprepared / perImport.prepared;
    out.push({
      name: 'prepare: false, per import (ValidateIntegrity once + StartDiscovery writes)',
      rows: opts.rows,
      seconds: perImport.unprepared,
      reference: `prepared ${perImport.prepared.toFixed(2)} s`,
      ratio,
      target: `≤ ${MAX_RATIO}× the prepared time`,
      ok: ratio <= MAX_RATIO,
      note: `ValidateIntegrity ${((1000 * validate.unprepared) / validations).toFixed(1)} ms unprepared vs ${((1000 * validate.prepared) / validations).toFixed(1)} ms prepared`,
    });
    return out;
  } finally {
    for (const h of Object.values(handles)) await h.close();
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, validations: { type: 'string' } } });
  const results = await run({ rows: Number(values.rows ?? 20_000), validations: values.validations ? Number(values.validations) : undefined });
  console.log(formatTable(results));
  process.exit(results.every((r) => r.ok !== false) ? 0 : 1);
}
