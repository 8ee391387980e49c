/**
 * The fault, load and bad-input suite (npm run test:faults): real service processes, PostgreSQL and a
 * fake CloudWatch agent on loopback under load. Files are *.faults.ts so the main `npm test` run
 * (testMatch *.test.ts) never picks them up; they run one at a time because each one loads the machine.
 */
/** @type {import('jest').Config} */
module.exports = {
  ...require("./jest.config.js"),
  roots: ["<rootDir>/test/faults"],
  testMatch: ["**/*.faults.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  globalSetup: "<rootDir>/test/faults/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/faults/support/global-teardown.ts",
  // Per test; each scenario bounds its own load and waits far below this.
  testTimeout: 300000,
};
