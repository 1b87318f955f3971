import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** drizzle-kit's output: the SQL migrations and their journal (db/migrations/meta/_journal.json). */
export const MIGRATIONS_FOLDER = resolve(import.meta.dirname, 'migrations');

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}

export function readJournal(folder = MIGRATIONS_FOLDER): Journal['entries'] {
  return (JSON.parse(readFileSync(resolve(folder, 'meta', '_journal.json'), 'utf8')) as Journal).entries;
}
