-- Custom SQL migration file, put your code below! --
-- Least privilege (docs/security.md). The roles are cluster-wide: the first database migrated on a
-- server creates them, every later one finds them, and two migrating at once (test databases) race:
-- the loser's CREATE/GRANT fails with duplicate_object or unique_violation, the outcome it wanted.
-- NOLOGIN here; on RDS (where rds_iam exists) they log in through the proxy with IAM tokens only.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['flowlink_app', 'flowlink_operator'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END;
    END IF;
  END LOOP;
  -- COPY FROM refuses row-level security: the loader holds BYPASSRLS and INSERT alone, reads nothing
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowlink_loader') THEN
    BEGIN
      CREATE ROLE flowlink_loader NOLOGIN BYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
  -- the app takes the loader's role for a COPY (SET LOCAL ROLE). Attributes (BYPASSRLS) never pass by
  -- membership; its INSERT does (INHERIT, which rds_iam membership wants), still under the app's policy.
  IF NOT pg_has_role('flowlink_app', 'flowlink_loader', 'MEMBER') THEN
    BEGIN
      GRANT flowlink_loader TO flowlink_app;
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
  END IF;
  -- FORCE binds the owner to the policies too: a migrator that is no superuser (the RDS master user)
  -- takes the operator's role (SET LOCAL ROLE) for any data it must read or fix across tenants
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT pg_has_role(current_user, 'flowlink_operator', 'MEMBER') THEN
    GRANT flowlink_operator TO CURRENT_USER;
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
    FOREACH r IN ARRAY ARRAY['flowlink_app', 'flowlink_operator'] LOOP
      IF NOT pg_has_role(r, 'rds_iam', 'MEMBER') THEN
        EXECUTE format('GRANT rds_iam TO %I', r);
      END IF;
      IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = r) THEN
        EXECUTE format('ALTER ROLE %I LOGIN', r);
      END IF;
    END LOOP;
  END IF;
END
$$;
--> statement-breakpoint
-- A role's rights in this database (the migrator, the owner, keeps everything else): no DDL, no
-- TRUNCATE, no ownership. New tables get their grants in the migration that creates them.
GRANT SELECT ON client_accounts, engagements TO flowlink_app;
--> statement-breakpoint
-- ValidateIntegrity proves the flow's rows in every table under a master flow
GRANT SELECT ON assessments, sixr_analyses, migration_waves, wave_plans TO flowlink_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON crewai_flow_state_extensions, data_imports, discovery_flows, import_field_mappings TO flowlink_app;
--> statement-breakpoint
GRANT SELECT, UPDATE ON raw_import_records TO flowlink_app;
--> statement-breakpoint
-- DiscoverChunk removes the assets of rows skipped since an earlier run
GRANT SELECT, INSERT, UPDATE, DELETE ON assets TO flowlink_app;
--> statement-breakpoint
GRANT INSERT ON raw_import_records, assets TO flowlink_loader;
--> statement-breakpoint
-- PlanDiscovery reads the consultant's mapping corrections; one dropped under mappings/ is written as the app
GRANT SELECT, INSERT, UPDATE ON mapping_corrections TO flowlink_app;
--> statement-breakpoint
-- ReconcileInventory matches a drop's assets into the engagement's items (it deletes nothing: retract and a confirmed merge are the operator's)
GRANT SELECT, INSERT, UPDATE ON inventory_items, inventory_item_keys, inventory_candidates, inventory_reconciliations TO flowlink_app;
--> statement-breakpoint
-- The operator reads everything (integrity check), records its runs, and relinks, restores or undoes
-- rows of the tables under a master flow (backfill).
GRANT SELECT ON ALL TABLES IN SCHEMA public TO flowlink_operator;
--> statement-breakpoint
GRANT INSERT ON integrity_runs, backfill_runs, backfill_changes TO flowlink_operator;
--> statement-breakpoint
GRANT UPDATE ON backfill_runs, quarantined_rows TO flowlink_operator;
--> statement-breakpoint
-- Retract removes an import's master flow (its rows go by the cascades) and re-derives the items it touched
GRANT DELETE ON crewai_flow_state_extensions TO flowlink_operator;
--> statement-breakpoint
GRANT INSERT, UPDATE, DELETE ON inventory_items, inventory_item_keys, inventory_candidates, inventory_reconciliations TO flowlink_operator;
--> statement-breakpoint
GRANT INSERT, UPDATE, DELETE ON data_imports, raw_import_records, discovery_flows, import_field_mappings, assets,
  assessments, sixr_analyses, migration_waves, wave_plans TO flowlink_operator;
--> statement-breakpoint
-- An adopted database: the backfill rebuilds quarantined rows from the archived legacy tables.
DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['legacy_archive', 'flowlink_adoption'] LOOP
    IF EXISTS (SELECT FROM pg_namespace WHERE nspname = s) THEN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO flowlink_operator', s);
      EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO flowlink_operator', s);
    END IF;
  END LOOP;
END
$$;
--> statement-breakpoint
-- The fence (functions/_shared/step-bounds.ts): a step ends its own earlier attempts whose deadline
-- has passed. pg_terminate_backend would need pg_signal_backend (any session of any non-superuser
-- role); this function, run with its owner's rights, can end nothing but an expired attempt (an
-- application_name `fl:<step>:<key>:<deadline>` past its deadline) of this database.
CREATE OR REPLACE FUNCTION flowlink_fence(attempt text) RETURNS bigint
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a
  WHERE attempt LIKE 'fl:%' AND a.application_name LIKE attempt || ':%' AND a.pid <> pg_backend_pid()
    AND a.datname = current_database()
    AND split_part(a.application_name, ':', 4) ~ '^[0-9]+$'
    AND split_part(a.application_name, ':', 4)::bigint < extract(epoch FROM clock_timestamp())
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION flowlink_fence(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION flowlink_fence(text) TO flowlink_app;
