CREATE TABLE "mapping_corrections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_account_id" uuid NOT NULL,
	"engagement_id" uuid NOT NULL,
	"header_set_id" text NOT NULL,
	"source_field" text NOT NULL,
	"target_field" text NOT NULL,
	"unit" text,
	"set_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "mapping_corrections_tenant_header_set_source_field_key" UNIQUE("client_account_id","engagement_id","header_set_id","source_field"),
	CONSTRAINT "mapping_corrections_unit" CHECK ("mapping_corrections"."unit" is null or "mapping_corrections"."unit" in ('B', 'KB', 'MB', 'GB', 'TB'))
);
--> statement-breakpoint
ALTER TABLE "mapping_corrections" ADD CONSTRAINT "mapping_corrections_engagement_fkey" FOREIGN KEY ("engagement_id","client_account_id") REFERENCES "public"."engagements"("id","client_account_id") ON DELETE cascade ON UPDATE no action;