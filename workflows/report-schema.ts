import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { outcomeReport, REPORT_VERSION, reportSummary } from './report.ts';

/**
 * The JSON Schemas of the outcome report and of the event's detail, generated from the zod schemas
 * of workflows/report.ts (the one source). `npx tsx workflows/report-schema.ts` rewrites the files;
 * a test fails when the committed files differ from what this generates.
 */
export const SCHEMA_FILES = {
  report: resolve(import.meta.dirname, 'report.schema.json'),
  eventDetail: resolve(import.meta.dirname, 'event-detail.schema.json'),
} as const;

function schemaOf(schema: z.ZodType, title: string, file: string): string {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
  const named = { $schema: json.$schema, $id: `https://flowlink.example.com/schemas/${file}`, title, ...json };
  return `${JSON.stringify(named, null, 2)}\n`;
}

export function generatedSchemas(): Record<keyof typeof SCHEMA_FILES, string> {
  return {
    report: schemaOf(outcomeReport, `flowlink outcome report, version ${REPORT_VERSION}`, 'report.schema.json'),
    eventDetail: schemaOf(reportSummary, `flowlink "Import Succeeded" / "Import Failed" event detail, version ${REPORT_VERSION}`, 'event-detail.schema.json'),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const schemas = generatedSchemas();
  for (const [name, file] of Object.entries(SCHEMA_FILES)) writeFileSync(file, schemas[name as keyof typeof SCHEMA_FILES]);
  console.log(`wrote ${Object.values(SCHEMA_FILES).join(', ')}`);
}
