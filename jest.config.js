/**
 * Three sizes: unit specs beside the code (src/**\/*.spec.ts); service specs that run services on
 * a real database without HTTP (test/service/); e2e specs for HTTP behaviour (test/e2e/).
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  transform: { '^.+\\.(ts|js|mjs)$': '<rootDir>/test/esm-transformer.js' },
  transformIgnorePatterns: [],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/service/**/*.service-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  // One embedded PostgreSQL for the run, a migrated template database, one database per test file.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60_000,
};
