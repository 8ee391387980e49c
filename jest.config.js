/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The Docker end-to-end suite (npm run test:e2e) and the consumer tests of the packed tarballs
  // (npm run test:consumers, after npm run pack) have their own commands and configs, and so have the plans against
  // an applied state (*.state.test.ts, npm run test:state): several terraform runs each, too slow for this loop.
  testPathIgnorePatterns: [
    "/node_modules/",
    "<rootDir>/test/e2e/",
    "<rootDir>/test/consumers/",
    "\\.state\\.test\\.ts$",
  ],
  transform: {
    // The repository's one TypeScript transpiler (esbuild); type-checking is its own CI step (npm run typecheck).
    "^.+\\.ts$": "<rootDir>/scripts/jest-transform.cjs",
  },
  testTimeout: 30000,
  // One worker per core, not jest's default of one fewer: the heavy files (terraform plans, the property
  // test's validations) spend their time in terraform child processes while their worker waits, so with
  // cores - 1 workers one of two cores sat idle through the property test. The other configs run in band.
  maxWorkers: "100%",
};
