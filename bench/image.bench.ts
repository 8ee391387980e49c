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
 * With `--cold`, it also times builds with no layer cache (`--no-cache`, every npm install from the
 * registry), as a CI machine or a developer's first build sees them; `--cold-baseline <git ref>` builds
 * that revision's Dockerfile and sources the same way, alternating with the working tree's, and prints
 * the ratio — how a Dockerfile change is measured before and after in one run.
 *
 * Usage: node --require ./scripts/register-ts.cjs bench/image.bench.ts [--runs 5] [--strict] [--cold [--cold-runs 1] [--cold-baseline <ref>]]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
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
import { dockerfileNodeImage, ensureStandinImage, ROOT } from "../test/e2e/support/standin-image";
import { FakeAgent, reservePort } from "../test/support/fake-agent";
import { startPostgres } from "../test/support/postgres";
import { median } from "./support";

const APP_LAYERS_TARGET_BYTES = 20_000_000;
const START_TARGET_MS = 1000;

/** The baseline's server: what any Node.js service needs at least to answer. */
const BARE_SERVER = 'require("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT))';

function countFlag(argv: readonly string[], flag: string, fallback: number): number {
  const index = argv.indexOf(flag);
  if (index === -1) return fallback;
  const count = Number(argv[index + 1]);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`${flag} needs a positive integer, got ${argv[index + 1]}`);
  return count;
}

function stringFlag(argv: readonly string[], flag: string): string | undefined {
  const index = argv.indexOf(flag);
  if (index === -1) return undefined;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
  return value;
}

/** A directory holding `ref`'s files as git has them (the Dockerfile's context at that revision). */
function exportRevision(ref: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "emf-fargate-image-baseline-"));
  const archive = execFileSync("git", ["archive", "--format=tar", ref], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  return dir;
}

/** Cold build times (ms) of the working tree and, when given, of `baselineRef`, alternating. */
async function coldBuilds(
  baseImage: string,
  runs: number,
  baselineRef: string | undefined,
): Promise<{ current: number[]; baseline: number[] }> {
  const current: number[] = [];
  const baseline: number[] = [];
  const baselineDir = baselineRef === undefined ? undefined : exportRevision(baselineRef);
  try {
    for (let run = 0; run < runs; run++) {
      if (baselineDir !== undefined) {
        const { buildMs } = await buildAppImage(baseImage, {
          tag: "emf-fargate:bench-cold-baseline",
          context: baselineDir,
          noCache: true,
          log,
        });
        baseline.push(buildMs);
      }
      const { buildMs } = await buildAppImage(baseImage, {
        tag: "emf-fargate:bench-cold",
        noCache: true,
        log,
      });
      current.push(buildMs);
    }
  } finally {
    if (baselineDir !== undefined) rmSync(baselineDir, { recursive: true, force: true });
  }
  return { current, baseline };
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = countFlag(argv, "--runs", 5);
  const strict = argv.includes("--strict");
  const baselineRef = stringFlag(argv, "--cold-baseline");
  const cold = argv.includes("--cold") || baselineRef !== undefined;
  const coldRuns = countFlag(argv, "--cold-runs", 1);
  const engine = await ensureDockerEngine({ log });
  const pg = await startPostgres().catch(async (err: unknown) => {
    await engine.release();
    throw err;
  });
  const agent = await FakeAgent.start();
  try {
    const nodeImage = dockerfileNodeImage();
    const standin = await ensureStandinImage(nodeImage, { log });
    const coldTimes = cold ? await coldBuilds(standin.tag, coldRuns, baselineRef) : undefined;
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
    if (coldTimes !== undefined) {
      const now = median(coldTimes.current);
      lines.push(`cold docker build, no layer cache (median of ${coldRuns})`);
      lines.push(`  working tree                ${(now / 1000).toFixed(1).padStart(7)} s`);
      if (baselineRef !== undefined) {
        const before = median(coldTimes.baseline);
        lines.push(`  ${baselineRef.padEnd(28)}${(before / 1000).toFixed(1).padStart(7)} s`);
        lines.push(`  ratio working tree / ${baselineRef}: ${(now / before).toFixed(2)}x`);
      }
    }
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
