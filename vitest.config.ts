import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2 cores: files share one PostgreSQL server, each in a database of its own
    fileParallelism: true,
    maxWorkers: 2,
  },
});
