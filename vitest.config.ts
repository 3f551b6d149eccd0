import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child processes and servers behave best in real processes rather than worker threads.
    pool: 'forks',
    testTimeout: 30_000,
    // Generous: test/binary.test.ts compiles the executable in beforeAll.
    hookTimeout: 300_000,
  },
});
