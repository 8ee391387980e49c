/**
 * The service image: its size, what the app adds to the base, and how long a new container takes to
 * answer, against a baseline measured in the same run — the bare base image running a one-line Node.js
 * HTTP server — so the ratio is what the app itself adds to start-up on this engine.
 *
 * It builds (or, through the build cache, reuses) the image exactly as the end-to-end test does: the
 * repository's Dockerfile on the local stand-in base (test/e2e/support), started like the task
 * definition starts it (read-only root, init process, host network) with a throwaway PostgreSQL and a
 * fake CloudWatch agent. Runs alternate between baseline and app so machine noise hits both alike.
 *
 * Reported (median of runs): docker run -> first 200, which includes the engine creating the container
 * (slow on the vfs storage driver a daemon started here uses), and process start (State.StartedAt) ->
 * first 200, the app's own start-up. Targets: app layers <= 20 MB, app start-up < 1 s.
 *
 * Usage: node --import tsx bench/image.bench.ts [--runs 5] [--strict]
 */
import {
  APP_IMAGE,
  buildAppImage,
  formatBytes,
  imageSizes,
  removeContainer,
  runUntilResponding,
  type StartedContainer,
  serviceEnvironment,
} from "../test/e2e/support/app-image";
import { ensureDockerEngine } from "../test/e2e/support/docker-engine";
import { dockerfileNodeImage, ensureStandinImage } from "../test/e2e/support/standin-image";
import { FakeAgent, reservePort } from "../test/support/fake-agent";
import { startPostgres } from "../test/support/postgres";

const APP_LAYERS_TARGET_BYTES = 20_000_000;
const START_TARGET_MS = 1000;

/** The baseline's server: what any Node.js service needs at least to answer. */
const BARE_SERVER = 'require("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT))';

function runsFlag(argv: readonly string[]): number {
  const index = argv.indexOf("--runs");
  if (index === -1) return 5;
  const runs = Number(argv[index + 1]);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs needs a positive integer, got ${argv[index + 1]}`);
  return runs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function main(): Promise<void> {
  const runs = runsFlag(process.argv.slice(2));
  const strict = process.argv.includes("--strict");
  const engine = await ensureDockerEngine({ log });
  const pg = await startPostgres().catch(async (err: unknown) => {
    await engine.release();
    throw err;
  });
  const agent = await FakeAgent.start();
  try {
    const nodeImage = dockerfileNodeImage();
    const standin = await ensureStandinImage(nodeImage, { log });
    await buildAppImage(standin.tag, { log });
    const sizes = await imageSizes(APP_IMAGE, standin.tag);

    const app: StartedContainer[] = [];
    const bare: StartedContainer[] = [];
    for (let run = 0; run < runs; run++) {
      for (const variant of ["bare", "app"] as const) {
        const port = await reservePort();
        const name = `emf-fargate-bench-${variant}-${process.pid}-${run}`;
        const env =
          variant === "bare"
            ? { PORT: String(port) }
            : serviceEnvironment({
                port,
                agentEndpoint: agent.endpoint,
                database: pg.env,
                name: "koaapp-bench",
                envType: "bench",
              });
        try {
          const started = await runUntilResponding({
            image: variant === "bare" ? standin.tag : APP_IMAGE,
            name,
            env,
            readOnly: true,
            init: true,
            readyUrl: variant === "bare" ? `http://127.0.0.1:${port}/` : `http://127.0.0.1:${port}/health`,
            ...(variant === "bare" ? { command: ["node", "-e", BARE_SERVER] } : {}),
          });
          (variant === "bare" ? bare : app).push(started);
          log(
            `run ${run + 1}/${runs} ${variant}: run -> 200 ${started.runToFirstResponseMs.toFixed(0)} ms, ` +
              `start -> 200 ${started.startToFirstResponseMs.toFixed(0)} ms`,
          );
        } finally {
          await removeContainer(name);
        }
      }
    }

    const runToFirst = median(app.map((r) => r.runToFirstResponseMs));
    const runToFirstBare = median(bare.map((r) => r.runToFirstResponseMs));
    const startToFirst = median(app.map((r) => r.startToFirstResponseMs));
    const startToFirstBare = median(bare.map((r) => r.startToFirstResponseMs));
    const layersOk = sizes.appBytes <= APP_LAYERS_TARGET_BYTES;
    const startOk = startToFirst < START_TARGET_MS;
    const row = (label: string, app: number, bare: number, verdict = "") =>
      `  ${label.padEnd(28)}${app.toFixed(0).padStart(7)} ms${bare.toFixed(0).padStart(10)} ms${(app / bare).toFixed(2).padStart(8)}x  ${verdict}`;
    const lines = [
      `image ${APP_IMAGE} on ${standin.tag} (stand-in for ${nodeImage.image}; node ${standin.nodeVersion})`,
      `  total                 ${formatBytes(sizes.totalBytes).padStart(10)}`,
      `  base                  ${formatBytes(sizes.baseBytes).padStart(10)}`,
      `  app layers over base  ${formatBytes(sizes.appBytes).padStart(10)}   target <= ${formatBytes(APP_LAYERS_TARGET_BYTES)}: ${layersOk ? "PASS" : "FAIL"}`,
      ...sizes.appLayers.map(
        (layer) =>
          `    ${formatBytes(layer.bytes).padStart(9)}  ${layer.createdBy.replace(/^\/bin\/sh -c #\(nop\)\s*/, "").slice(0, 60)}`,
      ),
      `first 200 (median of ${runs})`.padEnd(30) +
        "app".padStart(10) +
        "bare node".padStart(13) +
        "ratio".padStart(9),
      row("docker run -> first 200", runToFirst, runToFirstBare),
      row(
        "process start -> first 200",
        startToFirst,
        startToFirstBare,
        `target < ${START_TARGET_MS} ms: ${startOk ? "PASS" : "FAIL"}`,
      ),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (strict && !(layersOk && startOk)) process.exitCode = 1;
  } finally {
    await agent.stop();
    await pg.destroy();
    await engine.release();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
