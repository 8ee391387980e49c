# The koaapp service image: compiled app/ and contract/ plus production dependencies on the official
# Node.js image, run as uid 1000 on a read-only root filesystem (see modules/emf-fargate-service.ts).
#
#   docker build -t koaapp:0.1.0 .
#   docker run --read-only -p 5000:5000 -e METRICS_MODE=off koaapp:0.1.0
#
# NODE_IMAGE is pinned by tag; the end-to-end test (test/e2e/docker.test.ts) overrides it with a locally
# built stand-in of the same Node.js major when no registry is reachable.
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/transpile-ts.cjs scripts/build-app.cjs ./scripts/
# The build needs esbuild alone (at the version the lockfile pins), outside the project so that npm does
# not install the project's tree: no TypeScript, no type packages, none of the infrastructure's
# dependencies. Types are checked in CI (npm run typecheck), not here. Install scripts are skipped:
# esbuild's binary comes as its platform package, and its script only checks that package.
RUN npm install --prefix /build-tools --no-save --ignore-scripts --no-audit --no-fund \
    "esbuild@$(node -p 'require("./package-lock.json").packages["node_modules/esbuild"].version')" \
  && npm cache clean --force
COPY contract ./contract
COPY app ./app
RUN NODE_PATH=/build-tools/node_modules node scripts/build-app.cjs

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script; one that needs it (a native addon) must drop the flag.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Everything stays owned by root and read-only to uid 1000; the process writes only to stdout/stderr.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# dist/ holds app/, contract/ and the package.json that app/app.ts imports for its version.
COPY --from=build /app/dist ./dist
# The official image's "node" user; numeric so the task definition's "1000:1000" matches any base.
USER 1000:1000
EXPOSE 5000
CMD ["node", "dist/app/server.js"]
