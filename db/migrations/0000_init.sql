CREATE TYPE "public"."asset_type" AS ENUM('server', 'database', 'application', 'network', 'storage');--> statement-breakpoint
CREATE TYPE "public"."flow_status" AS ENUM('pending', 'running', 'completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."flow_type" AS ENUM('discovery', 'assessment', 'planning', 'execution');--> statement-breakpoint
CREATE TYPE "public"."import_status" AS ENUM('pending', 'stored', 'linked', 'processing', 'completed', 'failed');--> statement-breakpoint
CREATE TYPE "public"."match_type" AS ENUM('exact', 'synonym', 'fuzzy', 'unmapped', 'manual');--> statement-breakpoint
CREATE TABLE "client_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"slug" text,
	"industry" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "engagements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"slug" text,
	"description" text,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "engagements_id_client_account_id_key" UNIQUE("id","client_account_id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"full_name" text,
	"client_account_id" uuid,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "crewai_flow_state_extensions" (
	"flow_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"user_id" text,
	"flow_type" "flow_type" NOT NULL,
	"flow_name" text,
	"flow_status" "flow_status" DEFAULT 'pending' NOT NULL,
	"flow_configuration" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"flow_persistence_data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"phase_execution_times" jsonb,
	"agent_collaboration_log" jsonb,
	"error_message" text,
	"error_details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "crewai_flow_state_extensions_configuration_object" CHECK (jsonb_typeof("crewai_flow_state_extensions"."flow_configuration") = 'object')
);
--> statement-breakpoint
CREATE TABLE "data_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid,
	"import_name" text NOT NULL,
	"import_type" text DEFAULT 'inventory' NOT NULL,
	"description" text,
	"filename" text NOT NULL,
	"file_size" bigint,
	"mime_type" text,
	"source_system" text,
	"source_sheet" text,
	"file_hash" text,
	"import_config" jsonb,
	"s3_bucket" text,
	"s3_key" text,
	"s3_version_id" text,
	"s3_etag" text,
	"status" "import_status" DEFAULT 'pending' NOT NULL,
	"progress_percentage" double precision DEFAULT 0 NOT NULL,
	"total_records" integer,
	"processed_records" integer,
	"failed_records" integer,
	"error_message" text,
	"error_details" jsonb,
	"imported_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "data_imports_master_flow_required" CHECK ("data_imports"."status" in ('pending', 'stored', 'failed') or "data_imports"."master_flow_id" is not null),
	CONSTRAINT "data_imports_failed_has_error" CHECK ("data_imports"."status" <> 'failed' or "data_imports"."error_message" is not null)
);
--> statement-breakpoint
CREATE TABLE "discovery_flows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid NOT NULL,
	"data_import_id" uuid,
	"user_id" text,
	"flow_name" text NOT NULL,
	"status" "flow_status" DEFAULT 'pending' NOT NULL,
	"progress_percentage" double precision DEFAULT 0 NOT NULL,
	"data_validation_completed" boolean DEFAULT false NOT NULL,
	"field_mapping_completed" boolean DEFAULT false NOT NULL,
	"data_cleansing_completed" boolean DEFAULT false NOT NULL,
	"asset_inventory_completed" boolean DEFAULT false NOT NULL,
	"dependency_analysis_completed" boolean DEFAULT false NOT NULL,
	"tech_debt_assessment_completed" boolean DEFAULT false NOT NULL,
	"current_phase" text,
	"phases_completed" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"crew_outputs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"field_mappings" jsonb,
	"discovered_assets" jsonb,
	"crewai_state_data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error_message" text,
	"error_phase" text,
	"error_details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "discovery_flows_master_flow_id_key" UNIQUE("master_flow_id"),
	CONSTRAINT "discovery_flows_phases_completed_array" CHECK (jsonb_typeof("discovery_flows"."phases_completed") = 'array')
);
--> statement-breakpoint
CREATE TABLE "import_field_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"data_import_id" uuid NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid NOT NULL,
	"source_field" text NOT NULL,
	"target_field" text NOT NULL,
	"match_type" "match_type" NOT NULL,
	"confidence" double precision NOT NULL,
	"transformation_rules" jsonb,
	"is_user_defined" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'suggested' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "import_field_mappings_data_import_id_source_field_key" UNIQUE("data_import_id","source_field"),
	CONSTRAINT "import_field_mappings_confidence_range" CHECK ("import_field_mappings"."confidence" >= 0 and "import_field_mappings"."confidence" <= 1)
);
--> statement-breakpoint
CREATE TABLE "raw_import_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"data_import_id" uuid NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid,
	"row_number" integer NOT NULL,
	"raw_data" jsonb NOT NULL,
	"cleansed_data" jsonb,
	"validation_errors" jsonb,
	"processing_notes" text,
	"is_processed" boolean DEFAULT false NOT NULL,
	"is_valid" boolean,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "raw_import_records_data_import_id_row_number_key" UNIQUE("data_import_id","row_number"),
	CONSTRAINT "raw_import_records_row_number_positive" CHECK ("raw_import_records"."row_number" >= 1)
);
--> statement-breakpoint
CREATE TABLE "assets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid NOT NULL,
	"discovery_flow_id" uuid,
	"raw_import_record_id" uuid,
	"name" text NOT NULL,
	"asset_name" text,
	"hostname" text,
	"asset_type" "asset_type",
	"asset_type_reason" text,
	"description" text,
	"ip_address" text,
	"ip_addresses" jsonb,
	"fqdn" text,
	"mac_address" text,
	"environment" text,
	"location" text,
	"datacenter" text,
	"rack_location" text,
	"availability_zone" text,
	"operating_system" text,
	"os_version" text,
	"cpu_cores" integer,
	"memory_gb" double precision,
	"storage_gb" double precision,
	"business_owner" text,
	"technical_owner" text,
	"department" text,
	"application_name" text,
	"technology_stack" text,
	"criticality" text,
	"business_criticality" text,
	"custom_attributes" jsonb,
	"six_r_strategy" text,
	"mapping_status" text,
	"migration_priority" integer,
	"migration_complexity" text,
	"migration_wave" integer,
	"sixr_ready" text,
	"status" text,
	"migration_status" text,
	"dependencies" jsonb,
	"related_assets" jsonb,
	"discovery_method" text,
	"discovery_source" text,
	"discovery_timestamp" timestamp with time zone,
	"cpu_utilization_percent" double precision,
	"memory_utilization_percent" double precision,
	"disk_iops" double precision,
	"network_throughput_mbps" double precision,
	"completeness_score" double precision,
	"quality_score" double precision,
	"current_monthly_cost" double precision,
	"estimated_cloud_cost" double precision,
	"imported_by" uuid,
	"imported_at" timestamp with time zone,
	"source_filename" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "assets_raw_import_record_id_key" UNIQUE("raw_import_record_id")
);
--> statement-breakpoint
CREATE TABLE "assessments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid NOT NULL,
	"name" text NOT NULL,
	"status" "flow_status" DEFAULT 'pending' NOT NULL,
	"summary" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "migration_waves" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid NOT NULL,
	"wave_number" integer NOT NULL,
	"name" text NOT NULL,
	"status" "flow_status" DEFAULT 'pending' NOT NULL,
	"start_date" date,
	"end_date" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "migration_waves_master_flow_id_wave_number_key" UNIQUE("master_flow_id","wave_number"),
	CONSTRAINT "migration_waves_dates_ordered" CHECK ("migration_waves"."end_date" is null or "migration_waves"."start_date" is null or "migration_waves"."end_date" >= "migration_waves"."start_date")
);
--> statement-breakpoint
CREATE TABLE "sixr_analyses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid NOT NULL,
	"assessment_id" uuid NOT NULL,
	"asset_id" uuid,
	"strategy" text NOT NULL,
	"confidence" double precision,
	"rationale" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "sixr_analyses_strategy_known" CHECK ("sixr_analyses"."strategy" in ('rehost', 'replatform', 'refactor', 'repurchase', 'retire', 'retain'))
);
--> statement-breakpoint
CREATE TABLE "wave_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"master_flow_id" uuid NOT NULL,
	"migration_wave_id" uuid NOT NULL,
	"asset_id" uuid,
	"sequence" integer,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "backfill_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" uuid NOT NULL,
	"table_name" text NOT NULL,
	"row_id" uuid NOT NULL,
	"client_account_id" uuid,
	"engagement_id" uuid,
	"old_master_flow_id" uuid,
	"new_master_flow_id" uuid NOT NULL,
	"evidence" text NOT NULL,
	"distance_seconds" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "backfill_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	"undone_at" timestamp with time zone,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "integrity_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ok" boolean NOT NULL,
	"health_score" double precision NOT NULL,
	"critical_count" integer NOT NULL,
	"duration_ms" integer NOT NULL,
	"summary" jsonb NOT NULL,
	CONSTRAINT "integrity_runs_health_score_range" CHECK ("integrity_runs"."health_score" >= 0 and "integrity_runs"."health_score" <= 100)
);
--> statement-breakpoint
CREATE TABLE "quarantined_rows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_table" text NOT NULL,
	"row_id" text NOT NULL,
	"client_account_id" uuid,
	"engagement_id" uuid,
	"reason" text NOT NULL,
	"original_row" jsonb NOT NULL,
	"quarantined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "engagements" ADD CONSTRAINT "engagements_client_account_id_fkey" FOREIGN KEY ("client_account_id") REFERENCES "public"."client_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_client_account_id_fkey" FOREIGN KEY ("client_account_id") REFERENCES "public"."client_accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crewai_flow_state_extensions" ADD CONSTRAINT "crewai_flow_state_extensions_engagement_fkey" FOREIGN KEY ("engagement_id","client_account_id") REFERENCES "public"."engagements"("id","client_account_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_imports" ADD CONSTRAINT "data_imports_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_imports" ADD CONSTRAINT "data_imports_engagement_fkey" FOREIGN KEY ("engagement_id","client_account_id") REFERENCES "public"."engagements"("id","client_account_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_imports" ADD CONSTRAINT "data_imports_imported_by_fkey" FOREIGN KEY ("imported_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "discovery_flows" ADD CONSTRAINT "discovery_flows_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "discovery_flows" ADD CONSTRAINT "discovery_flows_data_import_id_fkey" FOREIGN KEY ("data_import_id") REFERENCES "public"."data_imports"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_field_mappings" ADD CONSTRAINT "import_field_mappings_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_field_mappings" ADD CONSTRAINT "import_field_mappings_data_import_id_fkey" FOREIGN KEY ("data_import_id") REFERENCES "public"."data_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "raw_import_records" ADD CONSTRAINT "raw_import_records_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "raw_import_records" ADD CONSTRAINT "raw_import_records_data_import_id_fkey" FOREIGN KEY ("data_import_id") REFERENCES "public"."data_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_discovery_flow_id_fkey" FOREIGN KEY ("discovery_flow_id") REFERENCES "public"."discovery_flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets" ADD CONSTRAINT "assets_raw_import_record_id_fkey" FOREIGN KEY ("raw_import_record_id") REFERENCES "public"."raw_import_records"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessments" ADD CONSTRAINT "assessments_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migration_waves" ADD CONSTRAINT "migration_waves_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sixr_analyses" ADD CONSTRAINT "sixr_analyses_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sixr_analyses" ADD CONSTRAINT "sixr_analyses_assessment_id_fkey" FOREIGN KEY ("assessment_id") REFERENCES "public"."assessments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sixr_analyses" ADD CONSTRAINT "sixr_analyses_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wave_plans" ADD CONSTRAINT "wave_plans_master_flow_id_fkey" FOREIGN KEY ("master_flow_id") REFERENCES "public"."crewai_flow_state_extensions"("flow_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wave_plans" ADD CONSTRAINT "wave_plans_migration_wave_id_fkey" FOREIGN KEY ("migration_wave_id") REFERENCES "public"."migration_waves"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wave_plans" ADD CONSTRAINT "wave_plans_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backfill_changes" ADD CONSTRAINT "backfill_changes_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "public"."backfill_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "client_accounts_slug_key" ON "client_accounts" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "engagements_client_account_id_slug_key" ON "engagements" USING btree ("client_account_id","slug");--> statement-breakpoint
CREATE INDEX "engagements_client_account_id_idx" ON "engagements" USING btree ("client_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "users_client_account_id_idx" ON "users" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "crewai_flow_state_extensions_client_account_id_idx" ON "crewai_flow_state_extensions" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "crewai_flow_state_extensions_engagement_id_idx" ON "crewai_flow_state_extensions" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "data_imports_master_flow_id_idx" ON "data_imports" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "data_imports_client_account_id_idx" ON "data_imports" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "data_imports_engagement_id_idx" ON "data_imports" USING btree ("engagement_id");--> statement-breakpoint
CREATE UNIQUE INDEX "data_imports_s3_object_key" ON "data_imports" USING btree ("s3_bucket","s3_key",coalesce("s3_version_id", "s3_etag"));--> statement-breakpoint
CREATE INDEX "discovery_flows_master_flow_id_idx" ON "discovery_flows" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "discovery_flows_client_account_id_idx" ON "discovery_flows" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "discovery_flows_engagement_id_idx" ON "discovery_flows" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "discovery_flows_data_import_id_idx" ON "discovery_flows" USING btree ("data_import_id");--> statement-breakpoint
CREATE INDEX "import_field_mappings_master_flow_id_idx" ON "import_field_mappings" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "import_field_mappings_client_account_id_idx" ON "import_field_mappings" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "import_field_mappings_engagement_id_idx" ON "import_field_mappings" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "raw_import_records_master_flow_id_idx" ON "raw_import_records" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "raw_import_records_client_account_id_idx" ON "raw_import_records" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "raw_import_records_engagement_id_idx" ON "raw_import_records" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "assets_master_flow_id_idx" ON "assets" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "assets_client_account_id_idx" ON "assets" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "assets_engagement_id_idx" ON "assets" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "assets_discovery_flow_id_idx" ON "assets" USING btree ("discovery_flow_id");--> statement-breakpoint
CREATE INDEX "assets_hostname_idx" ON "assets" USING btree ("client_account_id","engagement_id","hostname");--> statement-breakpoint
CREATE INDEX "assessments_master_flow_id_idx" ON "assessments" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "assessments_client_account_id_idx" ON "assessments" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "assessments_engagement_id_idx" ON "assessments" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "migration_waves_master_flow_id_idx" ON "migration_waves" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "migration_waves_client_account_id_idx" ON "migration_waves" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "migration_waves_engagement_id_idx" ON "migration_waves" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "sixr_analyses_master_flow_id_idx" ON "sixr_analyses" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "sixr_analyses_client_account_id_idx" ON "sixr_analyses" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "sixr_analyses_engagement_id_idx" ON "sixr_analyses" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "sixr_analyses_assessment_id_idx" ON "sixr_analyses" USING btree ("assessment_id");--> statement-breakpoint
CREATE INDEX "sixr_analyses_asset_id_idx" ON "sixr_analyses" USING btree ("asset_id");--> statement-breakpoint
CREATE INDEX "wave_plans_master_flow_id_idx" ON "wave_plans" USING btree ("master_flow_id");--> statement-breakpoint
CREATE INDEX "wave_plans_client_account_id_idx" ON "wave_plans" USING btree ("client_account_id");--> statement-breakpoint
CREATE INDEX "wave_plans_engagement_id_idx" ON "wave_plans" USING btree ("engagement_id");--> statement-breakpoint
CREATE INDEX "wave_plans_migration_wave_id_idx" ON "wave_plans" USING btree ("migration_wave_id");--> statement-breakpoint
CREATE INDEX "wave_plans_asset_id_idx" ON "wave_plans" USING btree ("asset_id");--> statement-breakpoint
CREATE INDEX "backfill_changes_run_id_idx" ON "backfill_changes" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "backfill_changes_row_idx" ON "backfill_changes" USING btree ("table_name","row_id");--> statement-breakpoint
CREATE INDEX "integrity_runs_checked_at_idx" ON "integrity_runs" USING btree ("checked_at");--> statement-breakpoint
CREATE INDEX "quarantined_rows_source_idx" ON "quarantined_rows" USING btree ("source_table","row_id");--> statement-breakpoint
CREATE INDEX "quarantined_rows_client_account_id_idx" ON "quarantined_rows" USING btree ("client_account_id");