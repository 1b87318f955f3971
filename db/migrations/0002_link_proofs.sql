-- A child's link to its parent carries the master flow and the tenant, so the database itself refuses
-- a raw record or field mapping whose master flow or tenant differs from its import's, an asset that
-- differs from its discovery flow, a 6R analysis from its assessment, a wave plan from its wave.
-- Not discovery flows: one per master flow, created before a legacy import was linked (an adopted
-- database has them under imports still awaiting backfill), and few enough to be read row by row. The integrity check reads these constraints as proof (validated, triggers enabled) instead
-- of scanning every child row; see db/integrity/proofs.ts.
-- MATCH SIMPLE: a row whose master_flow_id is still NULL (a raw record of an import being stored) is
-- not checked; the missing-link check counts those rows through the master_flow_id index.
-- DEFERRABLE INITIALLY DEFERRED: checked at commit, so a step may link a parent and its children in
-- either order within its transaction (backfill links raw records before their import).
-- Added NOT VALID (new rows are checked from now on); db/migrate.ts validates them after this
-- transaction commits, so the scan of existing rows holds no lock that blocks writers, and a key whose
-- adopted rows differ from their parent stays NOT VALID (reported) until a backfill or repair fixes
-- them and a later `flowlink db migrate` validates it. The integrity check scans while it is NOT VALID.
SET LOCAL lock_timeout = '10s';
--> statement-breakpoint
-- The parents hold thousands of rows, not millions: a plain build takes milliseconds under its SHARE lock.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX "data_imports_link_key" ON "data_imports" USING btree ("id","master_flow_id","client_account_id","engagement_id");
--> statement-breakpoint
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX "discovery_flows_link_key" ON "discovery_flows" USING btree ("id","master_flow_id","client_account_id","engagement_id");
--> statement-breakpoint
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX "assessments_link_key" ON "assessments" USING btree ("id","master_flow_id","client_account_id","engagement_id");
--> statement-breakpoint
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX "migration_waves_link_key" ON "migration_waves" USING btree ("id","master_flow_id","client_account_id","engagement_id");
--> statement-breakpoint
ALTER TABLE "raw_import_records" ADD CONSTRAINT "raw_import_records_data_import_link_fkey" FOREIGN KEY ("data_import_id","master_flow_id","client_account_id","engagement_id") REFERENCES "public"."data_imports"("id","master_flow_id","client_account_id","engagement_id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
--> statement-breakpoint
ALTER TABLE "import_field_mappings" ADD CONSTRAINT "import_field_mappings_data_import_link_fkey" FOREIGN KEY ("data_import_id","master_flow_id","client_account_id","engagement_id") REFERENCES "public"."data_imports"("id","master_flow_id","client_account_id","engagement_id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_discovery_flow_link_fkey" FOREIGN KEY ("discovery_flow_id","master_flow_id","client_account_id","engagement_id") REFERENCES "public"."discovery_flows"("id","master_flow_id","client_account_id","engagement_id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
--> statement-breakpoint
ALTER TABLE "sixr_analyses" ADD CONSTRAINT "sixr_analyses_assessment_link_fkey" FOREIGN KEY ("assessment_id","master_flow_id","client_account_id","engagement_id") REFERENCES "public"."assessments"("id","master_flow_id","client_account_id","engagement_id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
--> statement-breakpoint
ALTER TABLE "wave_plans" ADD CONSTRAINT "wave_plans_migration_wave_link_fkey" FOREIGN KEY ("migration_wave_id","master_flow_id","client_account_id","engagement_id") REFERENCES "public"."migration_waves"("id","master_flow_id","client_account_id","engagement_id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
