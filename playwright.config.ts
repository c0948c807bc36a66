import { defineConfig } from '@playwright/test';

// scripts/browser-tests.js picks free ports; these are for a direct `npx playwright test`.
process.env.CONSOLE_PORT ??= '38730';
process.env.CONSOLE_PG_PORT ??= '38731';

/**
 * The console in a real browser (Debian's chromium-headless-shell) against the real service and
 * database, started once by the global set-up. `npm test` runs it through scripts/browser-tests.js,
 * which finds the browser or says plainly that it skipped.
 */
export default defineConfig({
  testDir: 'test/console',
  testMatch: '*.pw.ts',
  globalSetup: './test/console/global-setup.ts',
  globalTeardown: './test/console/global-teardown.ts',
  // One worker: the journeys share one service, and the machine has two cores.
  workers: 1,
  // A journey signs in, works a record through several screens and signs out: a minute on a busy
  // two-core machine; each step's own wait (expect, navigation) is at most 15 s.
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${process.env.CONSOLE_PORT}`,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH },
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
    trace: 'off',
  },
});
