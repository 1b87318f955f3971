import { IMPORT_PREFIX, isUuid } from './contracts.ts';

export interface KeyTenant {
  clientAccountId: string;
  engagementId: string;
  fileName: string;
}

/**
 * The tenant an import key names, its ids lower-cased (S3 keys keep the case they were written in;
 * the tenant's ids are compared in one case everywhere), or why the key has another layout.
 */
export function readImportKey(key: string): KeyTenant | { problem: string } {
  const parts = key.split('/');
  const layout = `expected ${IMPORT_PREFIX}<client_account_id>/<engagement_id>/<file name>`;
  if (parts.length !== 4 || `${parts[0]}/` !== IMPORT_PREFIX) return { problem: layout };
  const [, clientAccountId, engagementId, fileName] = parts as [string, string, string, string];
  if (!isUuid(clientAccountId.toLowerCase())) return { problem: `"${clientAccountId}" is not a client account id (uuid); ${layout}` };
  if (!isUuid(engagementId.toLowerCase())) return { problem: `"${engagementId}" is not an engagement id (uuid); ${layout}` };
  if (!fileName.trim()) return { problem: `no file name; ${layout}` };
  return { clientAccountId: clientAccountId.toLowerCase(), engagementId: engagementId.toLowerCase(), fileName };
}

/** Whether the key lies under the tenant's own `imports/<client>/<engagement>/` prefix. */
export function keyBelongsTo(key: string, tenant: { clientAccountId: string; engagementId: string }): boolean {
  const read = readImportKey(key);
  return !('problem' in read) && read.clientAccountId === tenant.clientAccountId.toLowerCase() && read.engagementId === tenant.engagementId.toLowerCase();
}
