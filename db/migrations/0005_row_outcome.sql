ALTER TYPE "public"."import_status" ADD VALUE 'completed_with_errors';--> statement-breakpoint
ALTER TABLE "raw_import_records" ADD COLUMN "line_number" integer;