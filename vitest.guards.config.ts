import { defineConfig } from 'vitest/config';

/**
 * The benchmarks' quick guards (`npm run test:guards`, part of `npm test`): one file after the
 * other, never beside other tests, since each compares timings with a reference measured in the
 * same run and a second busy core would fall on one side more than the other.
 */
export default defineConfig({
  test: {
    include: ['bench/guards/**/*.guard.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
