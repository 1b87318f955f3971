/**
 * Mapping corrections dropped as a file, the AWS counterpart of `flowlink mapping set`:
 * `mappings/<client_account_id>/<engagement_id>/<header set id>.json` holding
 * `{"corrections": ["<column>=<field>[:unit]", …]}`. The same table and the same rules as the CLI
 * (corrections.ts), for the engagement the key names, after the same tenant check as a drop.
 * The trigger routes every object created under `mappings/` here (handler.ts); the EventBridge
 * rule and its GetObject on `mappings/*` are in the stateless stack.
 */
import * as z from 'zod';
import { tenantTransaction } from '../../db/access.ts';
import type { Db, Sql } from '../../db/client.ts';
import { setCorrections } from '../../db/queries/mapping-corrections.ts';
import { parseCorrection, type Correction } from '../_shared/inventory/corrections.ts';
import { isUuid, MAPPINGS_PREFIX } from '../../workflows/contracts.ts';

export { MAPPINGS_PREFIX };
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { assertTenant } from './trigger.ts';

const LAYOUT = `expected ${MAPPINGS_PREFIX}<client_account_id>/<engagement_id>/<header set id>.json`;

const mappingFile = z.object({ corrections: z.array(z.string()).min(1) }).strict();

/** The tenant and header set a mappings key names, or InvalidImportError saying why not. */
export function parseMappingKey(key: string): { clientAccountId: string; engagementId: string; headerSetId: string } {
  const parts = key.split('/');
  if (parts.length !== 4 || `${parts[0]}/` !== MAPPINGS_PREFIX) throw new InvalidImportError(`refused s3 key "${key}": ${LAYOUT}`, { key });
  const [, client, engagement, file] = parts as [string, string, string, string];
  const setId = /^([0-9a-f]{16})\.json$/i.exec(file)?.[1];
  if (!isUuid(client.toLowerCase()) || !isUuid(engagement.toLowerCase()) || !setId) throw new InvalidImportError(`refused s3 key "${key}": ${LAYOUT}`, { key });
  return { clientAccountId: client.toLowerCase(), engagementId: engagement.toLowerCase(), headerSetId: setId.toLowerCase() };
}

/** Reads a mappings file and sets its corrections for the engagement its key names. */
export async function applyMappingFile(sql: Sql | Db, key: string, body: string): Promise<Correction[]> {
  const { clientAccountId, engagementId, headerSetId } = parseMappingKey(key);
  await assertTenant(sql, clientAccountId, engagementId, key);
  let parsed: z.infer<typeof mappingFile>;
  try {
    parsed = mappingFile.parse(JSON.parse(body));
  } catch (err) {
    throw new InvalidImportError(`${key}: write {"corrections": ["<column>=<field>[:unit]", …]} (${(err as Error).message.split('\n')[0]})`, { key });
  }
  const corrections = parsed.corrections.map((spec) => {
    try {
      return parseCorrection(spec);
    } catch (err) {
      throw new InvalidImportError(`${key}: ${(err as Error).message}`, { key });
    }
  });
  // as the app for the tenant the key names (row-level security admits that engagement's rows only)
  const tenant = { clientAccountId, engagementId };
  await tenantTransaction(sql, tenant, (tx) => setCorrections(tx, tenant, headerSetId, corrections, `s3://${key}`));
  return corrections;
}
