/**
 * Consumer tests (npm run test:consumers): the tarballs in artifacts/ (npm run pack) installed into fresh
 * projects outside the repository, and the koaapp stack on CDK Terrain. They install from the npm
 * registry, so they have their own command, which .ci/run runs after npm run pack.
 */
/** @type {import('jest').Config} */
module.exports = {
  ...require("./jest.config.js"),
  roots: ["<rootDir>/test/consumers"],
  testPathIgnorePatterns: ["/node_modules/", "/fixtures/"],
  testTimeout: 600000,
};
