import type { TransactionSql } from 'postgres';

export interface TenantScope {
  clientAccountId: string;
  engagementId: string;
}

/**
 * Puts a master flow back to `running` when a redrive resumes it after MarkFailed (or it was never
 * started), clearing the recorded error. A completed flow is left as it is, so replaying a finished
 * execution changes nothing.
 */
export async function resumeMasterFlow(tx: TransactionSql, flowId: string, scope: TenantScope): Promise<void> {
  await tx`
    update crewai_flow_state_extensions
    set flow_status = 'running', error_message = null, error_details = null, updated_at = now()
    where flow_id = ${flowId} and client_account_id = ${scope.clientAccountId} and engagement_id = ${scope.engagementId}
      and flow_status in ('pending', 'failed')`;
}
