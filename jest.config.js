/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The Docker end-to-end suite has its own command (npm run test:e2e) and config.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/e2e/"],
  transform: {
    // Type-checking is its own CI step (npm run typecheck); tests only transpile.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  testTimeout: 30000,
};
