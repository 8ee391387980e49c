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
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY contract ./contract
COPY app ./app
# One step, so the dev dependencies (about 1 GB, mostly @cdktf/provider-aws) and npm's cache never become
# a layer that later steps copy (every step copies it on storage drivers without copy-on-write, like
# vfs); only dist/ is kept. Install scripts are skipped: tsc needs none, and cdktf-cli's node-pty has no
# prebuilt binary for Node.js 24, so its script would try to compile it with tools the image lacks.
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm run build \
  && rm -rf node_modules \
  && npm cache clean --force

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
