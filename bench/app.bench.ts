/**
 * `npm run bench`: what latency metrics cost the Koa service. Autocannon on loopback drives a small
 * app shaped like the service (`bench/app-server.ts`, one child process per run) in alternating rounds
 * of five variants, so machine noise hits all alike:
 *
 * - `off`: no metrics middleware (the baseline every ratio is taken against);
 * - `floor`: an async middleware with the same clock reads and 'close' listener, recording nothing;
 * - `aggregate`, `request`: this project's middleware in each mode, to a fake agent;
 * - `seed`: aws-embedded-metrics `metricScope` per request with the library's own agent sink
 *   (AWS_EMF_AGENT_ENDPOINT to the fake agent, AWS_EMF_ENVIRONMENT=Agent so no metadata lookups);
 * - `prom`: a prom-client histogram middleware (no scraping).
 *
 * Reported per variant (median of rounds): requests/s, p99 latency, server CPU µs per request (the
 * child's own process.cpuUsage over the measured window), EMF bytes per request (bytes the fake agent
 * received from the child over its whole life, warm-up included, divided by the requests it served).
 * Then, unless `--interleaved 0`, all variants run behind one dispatcher in one server child under
 * one continuous load, taking 500 ms turns (`--interleaved` seconds each): on a shared, noisy host
 * this pairs every variant with the same conditions, so its ratios are the steadier estimate.
 * Targets print PASS/FAIL for both estimates; `--strict` makes any FAIL the exit code. The tables and
 * targets are also written to artifacts/bench/last-run.md; `npm run record:bench` copies that to the tracked
 * bench/last-run.md, which the README's benchmark table is copied from.
 *
 * Usage: node --require ./scripts/register-ts.cjs bench/app.bench.ts [--rounds 3] [--duration 5] [--warmup 2]
 *        [--connections 32] [--variants off,floor,aggregate,prom,request,seed] [--interleaved 6] [--strict] [--pin]
 *
 * `--pin` runs the server child on CPU 1 and this process on CPU 0 (needs taskset and 2 CPUs).
 */
import { type ChildProcess, fork, spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { FakeAgent } from "../test/support/fake-agent";
import { TYPESCRIPT_EXEC_ARGV } from "../test/support/typescript";
import { type Interleaved, pad, RUN_FILE, report, type SummaryRow } from "./app-report";
import { type ChildMessage, type ParentMessage, VARIANTS, type Variant } from "./app-server";
import { median, nextMessage, REQUESTS } from "./support";

interface Flags {
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  variants: Variant[];
  strict: boolean;
  pin: boolean;
  /** Seconds of interleaved windows per variant; 0 skips that phase. */
  interleaved: number;
}

interface Run {
  variant: Variant;
  requestsPerSecond: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  round: number;
  emfBytes: number;
  emfDocuments: number;
  requestsServed: number;
  errors: number;
}

function parseFlags(argv: readonly string[]): Flags {
  const value = (name: string, fallback: number, allowZero = false): number => {
    const index = argv.indexOf(`--${name}`);
    if (index === -1) return fallback;
    const parsed = Number(argv[index + 1]);
    if (!Number.isFinite(parsed) || parsed < 0 || (parsed === 0 && !allowZero)) {
      throw new Error(`--${name} needs a ${allowZero ? "non-negative" : "positive"} number`);
    }
    return parsed;
  };
  const variantsIndex = argv.indexOf("--variants");
  const variants = (
    variantsIndex === -1 ? [...VARIANTS] : (argv[variantsIndex + 1] ?? "").split(",")
  ) as Variant[];
  const unknown = variants.filter((v) => !VARIANTS.includes(v));
  if (unknown.length > 0)
    throw new Error(`unknown variants: ${unknown.join(", ")}; known: ${VARIANTS.join(", ")}`);
  if (!variants.includes("off")) variants.unshift("off");
  return {
    rounds: value("rounds", 3),
    duration: value("duration", 5),
    warmup: value("warmup", 2),
    connections: value("connections", 32),
    variants,
    strict: argv.includes("--strict"),
    pin: argv.includes("--pin"),
    interleaved: value("interleaved", 6, true),
  };
}

function spawnServer(variant: Variant | "interleaved", agent: FakeAgent, flags: Flags): ChildProcess {
  // --pin: the server on CPU 1, this process (load generator and fake agent) on CPU 0.
  return fork(join(__dirname, "app-server.ts"), [variant, agent.endpoint], {
    ...(flags.pin
      ? { execPath: "taskset", execArgv: ["-c", "1", process.execPath, ...TYPESCRIPT_EXEC_ARGV] }
      : { execArgv: [...TYPESCRIPT_EXEC_ARGV] }),
    env: {
      ...process.env,
      AWS_EMF_AGENT_ENDPOINT: agent.endpoint,
      AWS_EMF_ENVIRONMENT: "Agent",
      AWS_EMF_SERVICE_NAME: "bench",
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

async function runVariant(variant: Variant, round: number, agent: FakeAgent, flags: Flags): Promise<Run> {
  const bytesBefore = agent.bytesReceived;
  const documentsBefore = agent.linesCounted;
  const child = spawnServer(variant, agent, flags);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const { port } = await nextMessage(child, "ready");
    const url = `http://127.0.0.1:${port}`;
    const load = (seconds: number) =>
      autocannon({ url, connections: flags.connections, duration: seconds, requests: REQUESTS });
    await load(flags.warmup);
    const started = nextMessage(child, "started");
    child.send({ type: "start" } satisfies ParentMessage);
    await started;
    const result = await load(flags.duration);
    const stopped = nextMessage(child, "stopped");
    child.send({ type: "stop" } satisfies ParentMessage);
    const report = await stopped;
    await exited;
    // The agent reads what the child wrote before exiting; wait until the connections are gone.
    await agent.waitFor(
      (a) => a.openConnections === 0,
      "the server child's agent connections to close",
      10_000,
    );
    return {
      variant,
      requestsPerSecond: result.requests.average,
      p99Ms: result.latency.p99,
      cpuMicrosPerRequest: report.cpuMicros / Math.max(1, report.requests),
      round,
      emfBytes: agent.bytesReceived - bytesBefore,
      emfDocuments: agent.linesCounted - documentsBefore,
      requestsServed: report.totalRequests,
      errors: result.errors + result.non2xx,
    };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One server child with every variant behind a dispatcher and one continuous closed-loop load;
 * variants take turns in 500 ms windows (after 100 ms to settle), so host noise hits all alike. Requests
 * completed per window measure throughput; the child's CPU per window measures cost.
 */
async function runInterleaved(agent: FakeAgent, flags: Flags): Promise<Interleaved[]> {
  const windowMs = 500;
  const settleMs = 100;
  const windows = Math.max(1, Math.round((flags.interleaved * 1000) / windowMs));
  const child = spawnServer("interleaved", agent, flags);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ask = async <T extends ChildMessage["type"]>(message: ParentMessage, reply: T) => {
    const answer = nextMessage(child, reply);
    child.send(message);
    return answer;
  };
  try {
    const { port } = await nextMessage(child, "ready");
    const seconds = flags.warmup + (windows * flags.variants.length * (windowMs + settleMs)) / 1000 + 30;
    let instance: autocannon.Instance | undefined;
    const load = new Promise<void>((resolve, reject) => {
      instance = autocannon(
        {
          url: `http://127.0.0.1:${port}`,
          connections: flags.connections,
          duration: seconds,
          requests: REQUESTS,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
    for (let t = 0; t < flags.warmup * 10; t++) {
      await ask(
        { type: "switch", variant: flags.variants[t % flags.variants.length] as Variant },
        "switched",
      );
      await sleep(100);
    }
    const totals = new Map(flags.variants.map((v) => [v, { cpu: 0, requests: 0, ms: 0 }]));
    for (let w = 0; w < windows; w++) {
      for (let i = 0; i < flags.variants.length; i++) {
        const variant = flags.variants[(i + w) % flags.variants.length] as Variant;
        await ask({ type: "switch", variant }, "switched");
        await sleep(settleMs);
        await ask({ type: "start" }, "started");
        const started = performance.now();
        await sleep(windowMs);
        const sample = await ask({ type: "sample" }, "sampled");
        const total = totals.get(variant) as { cpu: number; requests: number; ms: number };
        total.cpu += sample.cpuMicros;
        total.requests += sample.requests;
        total.ms += performance.now() - started;
      }
    }
    instance?.stop();
    await load;
    await ask({ type: "stop" }, "stopped");
    await exited;
    return [...totals].map(([variant, total]) => ({
      variant,
      requestsPerSecond: total.requests / (total.ms / 1000),
      cpuMicrosPerRequest: total.cpu / Math.max(1, total.requests),
    }));
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.pin) {
    const pinned = spawnSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { encoding: "utf8" });
    if (pinned.status !== 0) throw new Error(`--pin needs taskset (util-linux) and 2 CPUs: ${pinned.stderr}`);
  }
  const agent = await FakeAgent.start({ collect: false });
  const runs: Run[] = [];
  console.log(
    `app bench: ${flags.rounds} rounds × ${flags.variants.length} variants, ${flags.warmup} s warm-up + ${flags.duration} s each, ` +
      `${flags.connections} connections, node ${process.version}, loopback; fake agent ${agent.endpoint}`,
  );
  try {
    for (let round = 0; round < flags.rounds; round++) {
      // Rotated each round so no variant always runs first or last.
      const order = flags.variants.map(
        (_, i) => flags.variants[(i + round) % flags.variants.length] as Variant,
      );
      for (const variant of order) {
        const run = await runVariant(variant, round, agent, flags);
        runs.push(run);
        console.log(
          `  round ${round + 1} ${pad(variant, 9)}: ${run.requestsPerSecond.toFixed(0)} req/s, p99 ${run.p99Ms} ms, ` +
            `${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/req, ${(run.emfBytes / Math.max(1, run.requestsServed)).toFixed(1)} EMF B/req` +
            (run.errors ? `, ${run.errors} errors/non-2xx` : ""),
        );
      }
    }
  } finally {
    await agent.stop();
  }

  // Ratios are paired with the `off` run of the same round, then the median over rounds is taken.
  const offIn = (round: number): Run =>
    runs.find((run) => run.variant === "off" && run.round === round) as Run;
  const summary = new Map<Variant, SummaryRow>(
    flags.variants.map((variant) => {
      const mine = runs.filter((run) => run.variant === variant);
      const requests = mine.reduce((sum, run) => sum + run.requestsServed, 0);
      const paired = (pick: (run: Run) => number): number =>
        median(mine.map((run) => pick(run) / Math.max(1e-9, pick(offIn(run.round)))));
      return [
        variant,
        {
          rps: median(mine.map((run) => run.requestsPerSecond)),
          rpsRatio: paired((run) => run.requestsPerSecond),
          p99: median(mine.map((run) => run.p99Ms)),
          p99Ratio: paired((run) => run.p99Ms),
          cpu: median(mine.map((run) => run.cpuMicrosPerRequest)),
          cpuRatio: paired((run) => run.cpuMicrosPerRequest),
          bytesPerRequest: mine.reduce((sum, run) => sum + run.emfBytes, 0) / Math.max(1, requests),
          documentsPerRequest: mine.reduce((sum, run) => sum + run.emfDocuments, 0) / Math.max(1, requests),
        },
      ] as const;
    }),
  );
  let interleavedRows: Interleaved[] = [];
  if (flags.interleaved > 0) {
    const interleavedAgent = await FakeAgent.start({ collect: false });
    try {
      interleavedRows = await runInterleaved(interleavedAgent, flags);
    } finally {
      await interleavedAgent.stop();
    }
  }

  // Aggregate's CPU against prom-client's in the same round: the off run's noise cancels out.
  const inRound = (variant: Variant, round: number) =>
    runs.find((run) => run.variant === variant && run.round === round);
  const pairedCpu = median(
    runs
      .filter((run) => run.variant === "aggregate")
      .flatMap((run) => {
        const prom = inRound("prom", run.round);
        return prom ? [run.cpuMicrosPerRequest / prom.cpuMicrosPerRequest] : [];
      }),
  );
  const failed = report({
    summary,
    aggregateCpuVsProm: Number.isFinite(pairedCpu) ? pairedCpu : undefined,
    interleaved: interleavedRows,
    interleavedSeconds: flags.interleaved,
    run: `${flags.rounds} rounds × ${flags.duration} s, ${flags.connections} connections, ${cpus().length} cores, node ${process.version}`,
    outputFile: RUN_FILE,
  });
  if (flags.strict && failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
