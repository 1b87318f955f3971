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
--> statement-breakpoint
-- Validated here when the rows allow it. On an adopted legacy database with inconsistent rows the
-- constraint stays NOT VALID (new rows are checked all the same): the integrity check then scans
-- that table and reports the rows; every `flowlink db migrate` tries again (db/migrate.ts), so the
-- next deploy after a backfill or repair validates it.
-- (In a DO block so one bad table neither fails the migration nor hides the others.)
DO $$
DECLARE
  fk record;
BEGIN
  FOR fk IN
    SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
    WHERE contype = 'f' AND NOT convalidated AND connamespace = 'public'::regnamespace
      AND conname IN ('raw_import_records_data_import_link_fkey', 'import_field_mappings_data_import_link_fkey',
                      'assets_discovery_flow_link_fkey',
                      'sixr_analyses_assessment_link_fkey', 'wave_plans_migration_wave_link_fkey')
  LOOP
    BEGIN
      EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', fk.tbl, fk.conname);
    EXCEPTION WHEN foreign_key_violation THEN
      RAISE WARNING 'flowlink: % left NOT VALID: some rows of % differ from their parent''s master flow or tenant (run flowlink integrity)', fk.conname, fk.tbl;
    END;
  END LOOP;
END $$;
