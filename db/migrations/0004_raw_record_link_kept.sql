-- A raw record of an import that is linked (or later) keeps the import's master flow: the database
-- refuses an UPDATE that takes it away (sets master_flow_id to NULL) or moves an unlinked record
-- into such an import. Checked at commit (deferred), on the record and the import as they are then,
-- so a transaction that unlinks an import and its records together (backfill --undo) may do it in
-- either order. The trigger fires only on those updates (its WHEN), so storing and linking pay
-- nothing. An INSERT of an unlinked record into a linked import is not checked here: a per-row
-- check costs StoreImport's COPY 30-45 % (measured); integrity reports such a record as critical.
-- `flowlink backfill --undo` restores audited values exactly (also records an adopted linked import
-- had without a master flow) and says so with the transaction-local flowlink.restoring_backfill.
CREATE FUNCTION raw_import_records_link_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('flowlink.restoring_backfill', true), '') <> 'on' AND EXISTS (
    SELECT 1 FROM raw_import_records r JOIN data_imports d ON d.id = r.data_import_id
    WHERE r.id = NEW.id AND d.status IN ('linked', 'processing', 'completed')
      AND r.master_flow_id IS DISTINCT FROM d.master_flow_id
  ) THEN
    RAISE EXCEPTION 'raw record % of data import % cannot lose the import''s master flow while the import is linked', NEW.id, NEW.data_import_id
      USING ERRCODE = '23514', CONSTRAINT = 'raw_import_records_link_kept';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER raw_import_records_link_kept
  AFTER UPDATE OF master_flow_id, data_import_id ON raw_import_records
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (NEW.master_flow_id IS NULL AND (OLD.master_flow_id IS NOT NULL OR OLD.data_import_id IS DISTINCT FROM NEW.data_import_id))
  EXECUTE FUNCTION raw_import_records_link_kept();
