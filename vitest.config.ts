import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/src/**/*.test.ts',
      'web/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    // Fault and load scenarios run with `npm run test:chaos` (vitest.chaos.config.ts).
    exclude: [...configDefaults.exclude, 'tests/chaos/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Installs what is missing and provides a Redis (REDIS_URL), as the launcher does.
    globalSetup: ['tests/global-setup.ts'],
    // The machine running the suite may be loaded (browsers, services, several forks): an
    // expect.poll waits for what a person would wait for, not vitest's 1 s default.
    expect: { poll: { timeout: 15_000 } },
  },
});
