import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['node_modules', 'dist', 'web/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two cores: one test file per core keeps the suite predictable
    maxWorkers: 2,
  },
});
