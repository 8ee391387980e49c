/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The Docker end-to-end suite (npm run test:e2e) and the consumer tests of the packed tarballs
  // (npm run test:consumers, after npm run pack) have their own commands and configs.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/e2e/", "<rootDir>/test/consumers/"],
  transform: {
    // The repository's one TypeScript transpiler (esbuild); type-checking is its own CI step (npm run typecheck).
    "^.+\\.ts$": "<rootDir>/scripts/jest-transform.cjs",
  },
  testTimeout: 30000,
};
