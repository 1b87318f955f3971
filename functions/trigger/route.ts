import type { Db, Sql } from '../../db/client.ts';
import type { Correction } from '../_shared/inventory/corrections.ts';
import { applyMappingFile, MAPPINGS_PREFIX } from './mapping-file.ts';
import type { S3ObjectRef } from './s3-event.ts';
import { startImport, type StartedImport, type TriggerDeps } from './trigger.ts';

export interface RouteDeps extends TriggerDeps {
  /** The object's text (GetObject of that version): only a mappings file is read here. */
  readObject(ref: S3ObjectRef): Promise<string>;
  sql: Sql | Db;
}

export type Routed = { kind: 'import'; started: StartedImport } | { kind: 'mapping'; key: string; corrections: Correction[] };

/**
 * One created object → what its prefix asks: a consultant's mapping corrections under
 * `mappings/<client>/<engagement>/<header set>.json` are set for the next drops like it; anything
 * else is a drop, started as an import (which refuses keys outside `imports/`).
 */
export async function routeCreatedObject(deps: RouteDeps, ref: S3ObjectRef): Promise<Routed> {
  if (ref.key.startsWith(MAPPINGS_PREFIX)) {
    return { kind: 'mapping', key: ref.key, corrections: await applyMappingFile(deps.sql, ref.key, await deps.readObject(ref)) };
  }
  return { kind: 'import', started: await startImport(deps, ref) };
}
