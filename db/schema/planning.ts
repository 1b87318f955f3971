import { sql } from 'drizzle-orm';
import { check, date, doublePrecision, foreignKey, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { assets } from './assets.ts';
import { createdAt, id, tenant, underMasterFlow, updatedAt } from './columns.ts';
import { flowStatus } from './enums.ts';
import { masterFlows } from './master-flows.ts';

/** Assessment phase: one assessment per master flow, its 6R analyses per asset. */
export const assessments = pgTable(
  'assessments',
  {
    id: id(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id').notNull(),
    name: text('name').notNull(),
    status: flowStatus('status').notNull().default('pending'),
    summary: jsonb('summary'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [...underMasterFlow('assessments', t, masterFlows.flowId)],
);

export const sixrAnalyses = pgTable(
  'sixr_analyses',
  {
    id: id(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id').notNull(),
    assessmentId: uuid('assessment_id').notNull(),
    assetId: uuid('asset_id'),
    strategy: text('strategy').notNull(),
    confidence: doublePrecision('confidence'),
    rationale: text('rationale'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    ...underMasterFlow('sixr_analyses', t, masterFlows.flowId),
    foreignKey({ name: 'sixr_analyses_assessment_id_fkey', columns: [t.assessmentId], foreignColumns: [assessments.id] }).onDelete('cascade'),
    foreignKey({ name: 'sixr_analyses_asset_id_fkey', columns: [t.assetId], foreignColumns: [assets.id] }).onDelete('set null'),
    index('sixr_analyses_assessment_id_idx').on(t.assessmentId),
    index('sixr_analyses_asset_id_idx').on(t.assetId),
    check('sixr_analyses_strategy_known', sql`${t.strategy} in ('rehost', 'replatform', 'refactor', 'repurchase', 'retire', 'retain')`),
  ],
);

/** Planning phase: waves under a master flow, and the assets planned into each wave. */
export const migrationWaves = pgTable(
  'migration_waves',
  {
    id: id(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id').notNull(),
    waveNumber: integer('wave_number').notNull(),
    name: text('name').notNull(),
    status: flowStatus('status').notNull().default('pending'),
    startDate: date('start_date'),
    endDate: date('end_date'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    ...underMasterFlow('migration_waves', t, masterFlows.flowId),
    unique('migration_waves_master_flow_id_wave_number_key').on(t.masterFlowId, t.waveNumber),
    check('migration_waves_dates_ordered', sql`${t.endDate} is null or ${t.startDate} is null or ${t.endDate} >= ${t.startDate}`),
  ],
);

export const wavePlans = pgTable(
  'wave_plans',
  {
    id: id(),
    ...tenant(),
    masterFlowId: uuid('master_flow_id').notNull(),
    migrationWaveId: uuid('migration_wave_id').notNull(),
    assetId: uuid('asset_id'),
    sequence: integer('sequence'),
    notes: text('notes'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    ...underMasterFlow('wave_plans', t, masterFlows.flowId),
    foreignKey({ name: 'wave_plans_migration_wave_id_fkey', columns: [t.migrationWaveId], foreignColumns: [migrationWaves.id] }).onDelete('cascade'),
    foreignKey({ name: 'wave_plans_asset_id_fkey', columns: [t.assetId], foreignColumns: [assets.id] }).onDelete('set null'),
    index('wave_plans_migration_wave_id_idx').on(t.migrationWaveId),
    index('wave_plans_asset_id_idx').on(t.assetId),
  ],
);
