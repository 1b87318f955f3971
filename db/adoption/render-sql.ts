/**
 * Prints the DDL adoption runs, step by step, as SQL (each step is its own transaction or, for
 * CREATE INDEX CONCURRENTLY, none), so CI lints it with squawk like the migrations:
 * `npx tsx db/adoption/render-sql.ts > adoption.sql && npx squawk adoption.sql`.
 */
import { fileURLToPath } from 'node:url';
import { baselineStatements } from './baseline.ts';
import { ADOPTION_LOCK_TIMEOUT } from './index.ts';

export function adoptionDdl(): string {
  const base = baselineStatements();
  const out = [`SET lock_timeout = '${ADOPTION_LOCK_TIMEOUT}'`, ...base.types, ...base.tables.map((t) => t.ddl)];
  for (const table of base.notNullMasterFlowTables) {
    const check = `flowlink_adoption_${table}_master_flow_id`;
    out.push(
      `ALTER TABLE "${table}" ADD CONSTRAINT "${check}" CHECK ("master_flow_id" IS NOT NULL) NOT VALID`,
      `ALTER TABLE "${table}" VALIDATE CONSTRAINT "${check}"`,
      `ALTER TABLE "${table}" ALTER COLUMN "master_flow_id" SET NOT NULL`,
      `ALTER TABLE "${table}" DROP CONSTRAINT "${check}"`,
    );
  }
  out.push(...base.foreignKeys.map((f) => f.ddl));
  out.push(...base.foreignKeys.map((f) => `ALTER TABLE "${f.table}" VALIDATE CONSTRAINT "${f.name}"`));
  out.push(...base.indexes.map((i) => i.ddl));
  out.push(...base.guards);
  return out.map((s) => s.replace(/;\s*$/, '') + ';').join('\n\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.stdout.write(adoptionDdl());
