// Tests are compiled by `tsc` first (npm run build) and jest runs the ESM output in dist/:
// no transform step, so what is tested is exactly what ships. Unit tests sit beside their
// source as *.test.ts; integration tests (real apiserver, real binaries) live in test/integration.
const common = {
  testEnvironment: 'node',
  transform: {},
  rootDir: 'dist',
};
// No watchman on these machines: jest's probe for it has been seen to hang a run with no output.

export default {
  watchman: false,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.js'],
      testPathIgnorePatterns: ['<rootDir>/test/integration/'],
    },
    {
      ...common,
      displayName: 'integration',
      setupFilesAfterEnv: ['<rootDir>/test/integration/setup.js'],
      testMatch: ['<rootDir>/test/integration/**/*.test.js'],
    },
  ],
  globalSetup: '<rootDir>/dist/test/harness/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/harness/global-teardown.js',
  reporters: ['default', '<rootDir>/test/reporters/summary-line.cjs'],
};
