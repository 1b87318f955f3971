/** How bad a failing check is: critical breaks the link guarantee, warning needs attention, info is for the record. */
export type Severity = 'critical' | 'warning' | 'info';

export interface IntegrityOptions {
  /** Restrict the data checks to one master flow (its flow_id). */
  flowId?: string;
  /** Restrict the data checks to one client account. */
  clientAccountId?: string;
  /** Restrict the data checks to one engagement. */
  engagementId?: string;
  /** A master flow `running` for longer than this is reported as stuck (default 120). */
  staleRunningAfterMinutes?: number;
  /** Insert the run's summary into integrity_runs (default false). */
  store?: boolean;
  /** Sample ids kept per check (default 100, at most 100). */
  sampleLimit?: number;
  /** Run the schema checks (default true); they always cover the whole database, whatever the scope. */
  schema?: boolean;
  /**
   * Count every check row by row, trusting no constraint (default false: a check that a validated,
   * enforced foreign key proves is reported with its count 0 and the key's name in provenBy).
   */
  deep?: boolean;
}

export interface IntegrityScope {
  flowId: string | null;
  clientAccountId: string | null;
  engagementId: string | null;
  staleRunningAfterMinutes: number;
}

export interface TableCounts {
  rows: number;
  nullMasterFlowId: number;
  danglingMasterFlowId: number;
  inconsistent: number;
  crossTenant: number;
  /** Set when no check had to read every row: rows is the planner's estimate (large tables, whole database). */
  rowsEstimated?: true;
}

export interface CheckResult {
  /** Stable id: `<kind>.<table>`, e.g. `dangling_link.assets`, `fk_missing.assets`. */
  id: string;
  severity: Severity;
  table: string | null;
  count: number;
  sampleIds: string[];
  description: string;
  /** 'data' checks honour the scope; 'schema' checks always look at the whole database. */
  kind: 'data' | 'schema';
  /** The foreign key in force that proves the rows not counted pass this check (not in deep checks). */
  provenBy?: string;
}

export interface IntegrityReport {
  ok: boolean;
  healthScore: number;
  checkedAt: string;
  scope: IntegrityScope;
  tables: Record<string, TableCounts>;
  /** Master flows in scope. */
  masterFlows: number;
  /** Every check that ran, failing or not (count 0), in a stable order. */
  checks: CheckResult[];
  /** Every row was read (deep); otherwise checks proven by constraints in force were not counted row by row. */
  deep: boolean;
  durationMs: number;
  /** The integrity_runs row, when the run was stored. */
  runId?: string;
}
