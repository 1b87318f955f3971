-- The backfill audits raw records per data import: one backfill_changes row per (run, data import,
-- tenant) whose records it linked, row_id the data import and row_ids exactly the records changed
-- (NULL on every other row: one row changed per audit row, as before). One audit row per record cost
-- a million rows, a third of the records' UPDATE itself, at a million records.
-- A nullable column without default is a catalog change only; the lock is brief but must not queue
-- behind a long reader.
SET LOCAL lock_timeout = '10s';
--> statement-breakpoint
ALTER TABLE "backfill_changes" ADD COLUMN "row_ids" uuid[];
