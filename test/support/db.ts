import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { connect, type DbHandle } from '../../db/client.ts';
import { withDatabase } from './urls.ts';

export interface TestDatabase extends DbHandle {
  name: string;
}

/** A fresh database for this test file, cloned from the migrated template. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = inject('pgServerUrl');
  const name = `flowlink_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(options.migrated === false ? `create database ${name}` : `create database ${name} template ${inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const handle = connect(withDatabase(serverUrl, name), { max: 4, application: 'flowlink-test' });
  return {
    ...handle,
    name,
    close: async () => {
      await handle.close();
      const drop = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await drop.unsafe(`drop database if exists ${name} with (force)`).finally(() => drop.end());
    },
  };
}

/** Registers beforeAll/afterAll for one database per test file; read `.current` inside tests. */
export function useTestDatabase(options: { migrated?: boolean } = {}) {
  const ref = {} as { current: TestDatabase };
  beforeAll(async () => {
    ref.current = await createTestDatabase(options);
  });
  afterAll(async () => {
    await ref.current?.close();
  });
  return ref;
}
