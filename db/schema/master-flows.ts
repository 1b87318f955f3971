import { sql } from 'drizzle-orm';
import { check, foreignKey, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { tenantPolicies } from './access.ts';
import { createdAt, tenant, updatedAt } from './columns.ts';
import { flowStatus, flowType } from './enums.ts';
import { engagements } from './tenancy.ts';

/**
 * The master flow. `flow_id` is the primary key and the only key: no technical id exists that a
 * child could reference by mistake (the legacy platform's defect).
 */
export const masterFlows = pgTable(
  'crewai_flow_state_extensions',
  {
    flowId: uuid('flow_id').primaryKey().default(sql`gen_random_uuid()`),
    ...tenant(),
    userId: text('user_id'),
    flowType: flowType('flow_type').notNull(),
    flowName: text('flow_name'),
    flowStatus: flowStatus('flow_status').notNull().default('pending'),
    flowConfiguration: jsonb('flow_configuration').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    flowPersistenceData: jsonb('flow_persistence_data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    phaseExecutionTimes: jsonb('phase_execution_times'),
    agentCollaborationLog: jsonb('agent_collaboration_log'),
    errorMessage: text('error_message'),
    errorDetails: jsonb('error_details'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({
      name: 'crewai_flow_state_extensions_engagement_fkey',
      columns: [t.engagementId, t.clientAccountId],
      foreignColumns: [engagements.id, engagements.clientAccountId],
    }).onDelete('cascade'),
    index('crewai_flow_state_extensions_client_account_id_idx').on(t.clientAccountId),
    index('crewai_flow_state_extensions_engagement_id_idx').on(t.engagementId),
    check('crewai_flow_state_extensions_configuration_object', sql`jsonb_typeof(${t.flowConfiguration}) = 'object'`),
    ...tenantPolicies(t.clientAccountId, t.engagementId),
  ],
);
