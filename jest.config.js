/**
 * Two projects: unit tests run without any server; the database project (end-to-end files,
 * Mender's services, the Redis cache against a real redis-server) gets the global setup that
 * starts FerretDB, redis-server and Mender's services, so `npx jest test/unit` starts nothing.
 * A command's tests live in its folder, src/commands/<name>/: `*.unit.test.ts` need no
 * server, every other `*.test.ts` there runs the command against the test database.
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 60000,
};
const needsServers = ['<rootDir>/test/unit/redis-server.test.ts'];

/** @type {import('jest').Config} */
module.exports = {
  // Three: most files wait on FerretDB and child processes, not on the two cores.
  maxWorkers: 3,
  // Read from the top level (a project's own testTimeout is ignored by jest 30's runner).
  testTimeout: common.testTimeout,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/test/unit', '<rootDir>/src'],
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/src/**/*.unit.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...needsServers],
    },
    {
      ...common,
      displayName: 'database',
      roots: ['<rootDir>/test', '<rootDir>/src'],
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts', '<rootDir>/test/mender/**/*.test.ts', '<rootDir>/test/explorer/**/*.test.ts', '<rootDir>/src/**/*.test.ts', ...needsServers],
      testPathIgnorePatterns: ['/node_modules/', '\\.unit\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
