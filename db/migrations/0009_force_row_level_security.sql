-- Custom SQL migration file, put your code below! --
-- The policies bind the owner too: drizzle-kit writes ENABLE with a table's policies but cannot say
-- FORCE (drizzle-team/drizzle-orm#5819). Superusers still bypass (the migrator locally and in tests).
ALTER TABLE "client_accounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "engagements" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "crewai_flow_state_extensions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "data_imports" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "discovery_flows" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "import_field_mappings" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "raw_import_records" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "assets" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "assessments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "migration_waves" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sixr_analyses" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "wave_plans" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "backfill_changes" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "quarantined_rows" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "mapping_corrections" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "inventory_items" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "inventory_item_keys" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "inventory_candidates" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "inventory_reconciliations" FORCE ROW LEVEL SECURITY;
