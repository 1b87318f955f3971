/**
 * A whole import in one call, for tests and benchmarks; the workflow runs the same parts as Map
 * chunks (LinkRecords, StartDiscovery).
 */
import type { TransactionSql } from 'postgres';
import { orm, type Db, type Sql } from '../../db/client.ts';
import { finishLink, linkChunk } from '../../functions/link-records/link-records.ts';
import { discoverRows } from '../../functions/start-discovery/discover-rows.ts';
import { finishDiscoveryPhases, planDiscoveryPhases, type DiscoverySummary } from '../../functions/start-discovery/discover.ts';
import type { DiscoveryInput, DiscoveryOptions } from '../../functions/start-discovery/types.ts';

/** The whole import as one chunk, then FinishLink. */
export async function linkRecords(sql: Sql | Db, input: Parameters<typeof finishLink>[1]): Promise<{ linkedCount: number }> {
  await linkChunk(sql, { ...input, fromRow: 1, chunkRows: Math.max(input.rowCount, 1), chunk: 0, chunks: 1 });
  return finishLink(sql, input);
}

/** All of discovery for one import inside the caller's transaction: the plan, every row as one range, the end. */
export async function runDiscovery(tx: Sql | TransactionSql, input: DiscoveryInput, options: DiscoveryOptions = {}): Promise<DiscoverySummary> {
  const planned = await planDiscoveryPhases(orm(tx), input);
  await discoverRows(tx, input, { fromRow: 1, toRow: planned.lastRow }, options);
  return finishDiscoveryPhases(orm(tx), input);
}
