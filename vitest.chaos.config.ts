import { defineConfig } from 'vitest/config';

/**
 * `npm run test:chaos`: faults and load against real processes (kill -9, SIGTERM, a Redis
 * restart, a misbehaving model, 50 users at once). One file at a time: each starts a stack.
 */
export default defineConfig({
  test: {
    include: ['tests/chaos/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Installs what is missing and provides a Redis (REDIS_URL), as the launcher does.
    globalSetup: ['tests/global-setup.ts'],
    // The machine running the suite may be loaded (browsers, services, several forks): an
    // expect.poll waits for what a person would wait for, not vitest's 1 s default.
    expect: { poll: { timeout: 15_000 } },
    fileParallelism: false,
  },
});
