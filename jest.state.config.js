/**
 * Plans against the state an apply would leave (npm run test:state): the stack's desired count and image updates,
 * the first deploy's two phases, a traffic-shifting rule after ECS swapped its weights, pipeline-driven releases.
 * Each builds a state offline from a plan and plans again with -refresh=false, several terraform runs per file; they
 * have their own command, which .ci/run runs after npm test, so the fast loop stays fast.
 */
/** @type {import('jest').Config} */
module.exports = {
  ...require("./jest.config.js"),
  testMatch: ["**/*.state.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  testTimeout: 300000,
};
