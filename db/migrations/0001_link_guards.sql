-- An import may only be marked linked (or later) when every one of its raw records carries the
-- import's master flow: the link is all-or-nothing, enforced by the database, not only by LinkRecords.
CREATE FUNCTION data_imports_records_linked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IN ('linked', 'processing', 'completed')
     AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.master_flow_id IS DISTINCT FROM NEW.master_flow_id)
     AND EXISTS (
       SELECT 1 FROM raw_import_records r
       WHERE r.data_import_id = NEW.id AND r.master_flow_id IS DISTINCT FROM NEW.master_flow_id
     ) THEN
    RAISE EXCEPTION 'data import % has raw records not linked to master flow %', NEW.id, NEW.master_flow_id
      USING ERRCODE = '23514', CONSTRAINT = 'data_imports_records_linked';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER data_imports_records_linked
  BEFORE UPDATE OF status, master_flow_id ON data_imports
  FOR EACH ROW EXECUTE FUNCTION data_imports_records_linked();
