-- Row-level outcome (docs/row-outcome.md): an import that completed with rejected rows or field
-- warnings is `completed_with_errors`; every raw record keeps the file line it starts on, for the
-- errors file. A new enum value and a nullable column without default are catalog changes only;
-- the locks are brief but must not queue behind a long reader.
SET LOCAL lock_timeout = '10s';
--> statement-breakpoint
ALTER TYPE "public"."import_status" ADD VALUE 'completed_with_errors' AFTER 'failed';--> statement-breakpoint
ALTER TABLE "raw_import_records" ADD COLUMN "line_number" integer;
