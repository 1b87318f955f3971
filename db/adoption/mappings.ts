/**
 * How legacy enumeration values become ours. Matching is on lower(trim(value)). Values not listed
 * take the documented default, and every value that changes is recorded in
 * legacy_archive.adoption_changes (old and new), so nothing is guessed silently.
 */
export const FLOW_STATUS: Record<string, string[]> = {
  pending: ['pending', 'initialized', 'initializing', 'created', 'queued', 'new'],
  running: ['running', 'active', 'in_progress', 'processing', 'paused', 'waiting_for_approval', 'waiting'],
  completed: ['completed', 'complete', 'done', 'success', 'succeeded'],
  failed: ['failed', 'error', 'errored'],
  cancelled: ['cancelled', 'canceled', 'aborted', 'deleted', 'archived'],
};
export const FLOW_STATUS_DEFAULT = 'pending';

export const IMPORT_STATUS: Record<string, string[]> = {
  pending: ['pending', 'new', 'queued', 'uploading'],
  stored: ['stored', 'uploaded', 'imported', 'validated', 'validating'],
  linked: ['linked'],
  processing: ['processing', 'in_progress', 'mapping', 'mapped', 'running'],
  completed: ['completed', 'complete', 'done', 'success', 'processed'],
  failed: ['failed', 'error', 'errored'],
};
/** Unknown import statuses: the rows are stored, nothing more is known. */
export const IMPORT_STATUS_DEFAULT = 'stored';

export const MATCH_TYPE: Record<string, string[]> = {
  exact: ['exact', 'direct', 'identity'],
  synonym: ['synonym', 'alias'],
  fuzzy: ['fuzzy', 'ai', 'ai_suggested', 'semantic', 'pattern', 'suggested', 'inferred'],
  unmapped: ['unmapped', 'none', 'ignore', 'ignored', 'skip'],
  manual: ['manual', 'user', 'user_defined', 'custom'],
};
/** An unknown mapping type was a machine suggestion of unknown quality. */
export const MATCH_TYPE_DEFAULT = 'fuzzy';

export const FLOW_TYPES = ['discovery', 'assessment', 'planning', 'execution'];

export const ASSET_TYPE: Record<string, string[]> = {
  server: ['server', 'servers', 'vm', 'virtual_machine', 'virtual machine', 'host', 'physical', 'physical_server'],
  database: ['database', 'db', 'databases'],
  application: ['application', 'app', 'applications'],
  network: ['network', 'network_device', 'switch', 'router', 'firewall', 'load_balancer'],
  storage: ['storage', 'san', 'nas'],
};

/** `case lower(trim(expr)) when ... then ... else <fallback> end` for one of the maps above. */
export function caseOf(expr: string, map: Record<string, string[]>, fallback: string): string {
  const arms = Object.entries(map)
    .flatMap(([to, froms]) => froms.map((f) => `when '${f}' then '${to}'`))
    .join(' ');
  return `(case lower(trim(${expr})) ${arms} else ${fallback} end)`;
}
