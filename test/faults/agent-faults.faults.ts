/**
 * Section 1: the real service (startServer in its own process, METRICS_MODE=aggregate, real
 * PostgreSQL) under a steady load on loopback while the fake CloudWatch agent misbehaves, one fault
 * per scenario, each in a fresh service process so its counters cover exactly one scenario.
 *
 * Latency is compared against a healthy run measured at the same time: every scenario starts a second,
 * identical service (the control) with its own healthy fake agent, and the load generator drives both
 * with the same load in the same window. On this 2-core shared machine two healthy runs one after the
 * other differed by 0.57–2.12× in p99 (drift from neighbours and the collector), while two healthy
 * services side by side differed by 0.91–1.18× (22 pairs, the widest when the machine was busiest), so
 * the paired ratio is the one asserted, against {@link P99_BOUND} rather than the 1.2× goal: a 1.2×
 * bound would fail healthy pairs on noise. Each row says whether the 1.2× goal was met. The healthy
 * baseline (both services healthy) comes first and shows the noise; a second healthy pair at the end
 * shows it again; the baseline's p99 is also printed against every scenario's (sequential, not asserted).
 *
 * Targets per scenario: the process survives and exits 0 on SIGTERM; no request fails; p99 within
 * {@link P99_BOUND} × the control's; after the final close, samples received by the agent plus samples
 * the service counted as dropped equal samples recorded; no drop at all while the buffer had room.
 */
import { DEFAULT_BUFFER_BYTES, type LatencyMetricsOptions } from "../../app/metrics";
import { FakeAgent } from "../support/fake-agent";
import type { TestPostgres } from "../support/postgres";
import { type AgentTally, tallyAgent } from "./support/agent-tally";
import { createItem, serviceEnv, useFaultHarness } from "./support/fault-harness";
import { type LoadResult, quantile, sleep } from "./support/load";
import type { LoadGenerator } from "./support/load-generator";
import { type ServerExit, type ServerProcess, startServerProcess } from "./support/server-process";
import { errorRow, recordRow, type SummaryRow, type TargetResult } from "./support/summary";
import { ThrottleProxy } from "./support/throttle-proxy";

/**
 * Asserted p99 bound: the scenario's p99 over the control's, measured in the same window. Healthy pairs
 * reached 1.18× on noise alone (see the module comment); 1.4× leaves about twice that deviation while
 * still failing a fault that reaches requests (a request waiting on the agent, or a blocked event loop,
 * adds tens of ms to a p99 of 10–20 ms).
 */
const P99_BOUND = 1.4;

/** The target from the brief, reported for every scenario but not asserted (see {@link P99_BOUND}). */
const P99_GOAL = 1.2;

/**
 * Load per service: a fixed 500 requests/s over 8 keep-alive connections (1,000/s for the pair, about
 * a third of what this machine serves on these routes), so latency reflects the service and not a
 * saturated queue. The routes mix one without the database and two with it; every response is a 200.
 */
const LOAD = {
  requests: [{ path: "/" }, { path: "/items/1" }, { path: "/items?limit=5" }],
  connections: 8,
  overallRate: 500,
} as const;

/** Load before the measured window: a fresh process is slower until its hot paths are compiled. */
const WARMUP_SECONDS = 4;

/** How often the service's counters are sampled during a scenario (peak buffer, liveness). */
const POLL_MS = 250;

/** What a fault sees. */
interface FaultContext {
  readonly agent: FakeAgent;
  readonly proxy: ThrottleProxy | undefined;
}

interface Scenario {
  /** Table sort key. */
  readonly order: number;
  readonly name: string;
  /** Length of the measured window; the fault runs inside it. */
  readonly seconds: number;
  /** Metrics options on top of the configuration's. */
  readonly metrics?: Partial<LatencyMetricsOptions>;
  /** Put a {@link ThrottleProxy} between the service and the agent. */
  readonly viaProxy?: boolean;
  /** The scenario overflows the buffer on purpose: drops are expected and must be counted. */
  readonly overflows?: boolean;
  /** The fault's timeline, from the start of the measured window. */
  fault(context: FaultContext): Promise<void>;
}

const HEALTHY: Scenario = {
  order: 1.0,
  name: "1 healthy baseline (both services healthy)",
  seconds: 20,
  fault: async () => {},
};

const HEALTHY_AGAIN: Scenario = {
  order: 1.9,
  name: "1 healthy again (noise check)",
  seconds: 20,
  fault: async () => {},
};

const FAULTS: readonly Scenario[] = [
  {
    order: 1.1,
    name: "1a agent down 30 s, then back",
    seconds: 45,
    async fault({ agent }) {
      await sleep(5000);
      await agent.stop();
      await sleep(30_000);
      await agent.listen();
    },
  },
  {
    // 25 documents hold ~5 s of this load, so a 15 s outage overflows: the drops must all be counted.
    order: 1.15,
    name: "1a' agent down 15 s, buffer of 25 documents",
    seconds: 25,
    metrics: { bufferLines: 25 },
    overflows: true,
    async fault({ agent }) {
      await sleep(5000);
      await agent.stop();
      await sleep(15_000);
      await agent.listen();
    },
  },
  {
    order: 1.2,
    name: "1b agent resets (RST) every connection for 15 s",
    seconds: 25,
    async fault({ agent }) {
      await sleep(5000);
      agent.behaviour = "reset";
      agent.resetConnections();
      await sleep(15_000);
      agent.behaviour = "read";
    },
  },
  {
    // The fake agent's "stall" sockets are never read again, so it recovers the way ECS recovers a hung
    // sidecar: a restart. Closing the live connection (FIN) moves the service onto a stalled one.
    order: 1.3,
    name: "1c agent accepts but never reads for 15 s, then restarts",
    seconds: 25,
    async fault({ agent }) {
      await sleep(5000);
      agent.behaviour = "stall";
      agent.closeConnections();
      await sleep(15_000);
      agent.behaviour = "read";
      await agent.restart();
    },
  },
  {
    // The same black hole, recovering the other way: the reader resumes on the same connection.
    order: 1.35,
    name: "1c' agent stops reading for 15 s, then resumes on the same connection",
    seconds: 25,
    viaProxy: true,
    async fault({ proxy }) {
      await sleep(5000);
      proxy?.throttle(0);
      await sleep(15_000);
      proxy?.unthrottle();
    },
  },
  {
    // ~4.5 KB/s of documents against 1 KiB/s read: the backlog grows in the kernel buffers for 15 s.
    order: 1.4,
    name: "1d agent reads at 1 KiB/s for 15 s",
    seconds: 25,
    viaProxy: true,
    async fault({ proxy }) {
      await sleep(5000);
      proxy?.throttle(1024);
      await sleep(15_000);
      proxy?.unthrottle();
    },
  },
  {
    order: 1.5,
    name: "1e agent restarts every 2 s for 16 s",
    seconds: 25,
    async fault({ agent }) {
      await sleep(5000);
      for (let i = 0; i < 8; i++) {
        await agent.restart();
        await sleep(2000);
      }
    },
  },
];

interface Peak {
  documents: number;
  bytes: number;
  pollFailures: number;
}

interface Outcome {
  readonly scenario: Scenario;
  readonly warmup: LoadResult;
  readonly measured: LoadResult;
  readonly p99Ms: number;
  /** p99 of the control service in the same window. */
  readonly controlP99Ms: number;
  /** Problems of the control service (it must pass every target, or the comparison means nothing). */
  readonly controlProblems: readonly string[];
  readonly aliveAtEnd: boolean;
  readonly exit: ServerExit;
  readonly tally: AgentTally;
  readonly peak: Peak;
  /** The service's warning and error log lines, counted by message. */
  readonly warnings: ReadonlyMap<string, number>;
  /** The last of the service's output, shown when it did not survive. */
  readonly output: string;
}

/** Samples the service's counters until stopped: the buffer's peak, and whether it still answers. */
function pollCounters(server: ServerProcess): { peak: Peak; stop(): Promise<void> } {
  const peak: Peak = { documents: 0, bytes: 0, pollFailures: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const { stats } = await server.snapshot(2000);
        peak.documents = Math.max(peak.documents, stats.documents.buffered);
        peak.bytes = Math.max(peak.bytes, stats.documents.bufferedBytes);
      } catch {
        // Counted, not thrown: a process that stops answering shows up as dead at the end.
        peak.pollFailures++;
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    peak,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

function startService(postgres: TestPostgres, endpoint: string, scenario: Scenario): Promise<ServerProcess> {
  return startServerProcess({
    env: { ...serviceEnv(postgres, endpoint), SHUTDOWN_TIMEOUT_MS: "20000" },
    metrics: scenario.metrics ?? {},
  });
}

/** SIGTERM, then waits until the last lines have reached `agent` (the service's FIN comes after them). */
async function closeService(
  server: ServerProcess,
  agent: FakeAgent,
): Promise<{ alive: boolean; exit: ServerExit }> {
  const alive = server.alive();
  const exit = await server.terminate("SIGTERM", 30_000);
  // A connection the agent never sees closed is reported by the counts, not by a timeout here.
  await agent
    .waitFor((a) => a.openConnections === 0, "the service's agent connections to close", 10_000)
    .catch(() => undefined);
  return { alive, exit };
}

async function runScenario(
  postgres: TestPostgres,
  load: LoadGenerator,
  scenario: Scenario,
): Promise<Outcome> {
  const agent = await FakeAgent.start();
  const controlAgent = await FakeAgent.start();
  let proxy: ThrottleProxy | undefined;
  let server: ServerProcess | undefined;
  let control: ServerProcess | undefined;
  try {
    proxy = scenario.viaProxy ? await ThrottleProxy.start(agent.port) : undefined;
    server = await startService(postgres, proxy?.endpoint ?? agent.endpoint, scenario);
    control = await startService(postgres, controlAgent.endpoint, scenario);
    const urls = [server.url, control.url];
    const [warmup] = (await Promise.all(
      urls.map(
        (url) =>
          load.autocannon({ url, ...LOAD, durationSeconds: WARMUP_SECONDS, keepLatencies: false }).done,
      ),
    )) as [LoadResult, LoadResult];
    const poller = pollCounters(server);
    const runs = urls.map((url) => load.autocannon({ url, ...LOAD, durationSeconds: scenario.seconds }));
    try {
      await Promise.all(runs.map((run) => run.started));
      await scenario.fault({ agent, proxy });
    } catch (err) {
      // A fault that throws must not leave the load running for the rest of its duration.
      for (const run of runs) run.stop();
      await Promise.all(runs.map((run) => run.done.catch(() => undefined)));
      await poller.stop();
      throw err;
    }
    const [measured, controlMeasured] = (await Promise.all(runs.map((run) => run.done))) as [
      LoadResult,
      LoadResult,
    ];
    await poller.stop();

    // Heal everything so the final close can deliver what is still buffered.
    agent.behaviour = "read";
    if (!agent.listening) await agent.listen();
    proxy?.unthrottle();
    const [{ alive, exit }, controlClosed] = await Promise.all([
      closeService(server, agent),
      closeService(control, controlAgent),
    ]);
    const controlTally = tallyAgent(controlAgent);
    const controlStats = controlClosed.exit.snapshot?.stats;
    const controlProblems = [
      controlClosed.alive && controlClosed.exit.exitCode === 0 ? "" : `exit ${controlClosed.exit.exitCode}`,
      controlMeasured.non2xx + controlMeasured.errors === 0
        ? ""
        : `${controlMeasured.non2xx + controlMeasured.errors} failed requests`,
      controlStats && controlTally.samples + controlStats.dropped === controlStats.recorded
        ? ""
        : `received ${controlTally.samples} + dropped ${controlStats?.dropped} != recorded ${controlStats?.recorded}`,
    ].filter((problem) => problem !== "");
    return {
      scenario,
      warmup,
      measured,
      p99Ms: quantile(measured.latenciesMs, 0.99),
      controlP99Ms: quantile(controlMeasured.latenciesMs, 0.99),
      controlProblems,
      aliveAtEnd: alive,
      exit,
      tally: tallyAgent(agent),
      peak: poller.peak,
      warnings: new Map(server.logCounts()),
      output: server.output(),
    };
  } finally {
    await server?.kill();
    await control?.kill();
    await proxy?.stop();
    await agent.stop();
    await controlAgent.stop();
  }
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}

/** The table row and targets of a scenario; `baselineP99Ms` is the healthy baseline's (sequential). */
function summarize(outcome: Outcome, baselineP99Ms: number | undefined): SummaryRow {
  const { scenario, warmup, measured, exit, tally, peak } = outcome;
  const stats = exit.snapshot?.stats;
  const requests = warmup.requests + measured.requests;
  const failed = warmup.non2xx + warmup.errors + measured.non2xx + measured.errors;
  const alive = outcome.aliveAtEnd && exit.exitCode === 0 && exit.shutdownCode === 0;
  const ratio = outcome.p99Ms / outcome.controlP99Ms;
  const recorded = stats?.recorded ?? null;
  const dropped = stats?.dropped ?? null;
  const lost = stats ? stats.recorded - tally.samples - stats.dropped : null;
  const targets: TargetResult[] = [
    { name: "alive, exit 0", pass: alive, actual: `alive ${outcome.aliveAtEnd}, exit ${exit.exitCode}` },
    { name: "failed requests == 0", pass: failed === 0, actual: String(failed) },
    {
      name: "received + dropped == recorded",
      pass: lost === 0,
      actual: `${tally.samples} + ${dropped} vs ${recorded}`,
    },
    { name: "valid EMF lines", pass: tally.invalidLines === 0, actual: `${tally.invalidLines} invalid` },
  ];
  targets.push({
    name: `p99 <= ${P99_BOUND}x healthy control`,
    pass: ratio <= P99_BOUND,
    actual: `${ratio.toFixed(2)}x`,
  });
  targets.push({
    name: "control service healthy",
    pass: outcome.controlProblems.length === 0,
    actual: outcome.controlProblems.join(", ") || "ok",
  });
  if (scenario.overflows) {
    targets.push({
      name: "buffer overflowed, drops counted",
      pass: (dropped ?? 0) > 0,
      actual: `${dropped}`,
    });
  } else {
    targets.push({ name: "no drops within capacity", pass: dropped === 0, actual: `${dropped}` });
  }
  const capacity = scenario.metrics?.bufferLines
    ? `${scenario.metrics.bufferLines} docs`
    : kib(scenario.metrics?.bufferSize ?? DEFAULT_BUFFER_BYTES);
  const notes = [
    `p99 ${ratio <= P99_GOAL ? "meets" : "misses"} the ${P99_GOAL}× goal (control ${outcome.controlP99Ms.toFixed(1)} ms)`,
    baselineP99Ms === undefined
      ? ""
      : `vs the baseline run before: ${(outcome.p99Ms / baselineP99Ms).toFixed(2)}× (not asserted)`,
    `sent ${stats?.sent ?? "?"}`,
    // Documents written to a connection that died before the agent confirmed it, then written again.
    stats?.documents.retried ? `resent ${stats.documents.retried} docs` : "",
    `peak buffer ${peak.documents} docs / ${kib(peak.bytes)} of ${capacity}`,
    `agent connections ${tally.connections}`,
    peak.pollFailures ? `counter polls unanswered ${peak.pollFailures}` : "",
    tally.duplicateLines ? `duplicate lines ${tally.duplicateLines} (${tally.duplicateSamples} samples)` : "",
    tally.partialLines ? `half lines ${tally.partialLines}` : "",
    `shutdown ${exit.elapsedMs} ms`,
    [...outcome.warnings].map(([msg, n]) => `log "${msg}" ×${n}`).join(", "),
  ].filter((note) => note !== "");
  return {
    order: scenario.order,
    scenario: scenario.name,
    requests,
    failed,
    p99Ms: outcome.p99Ms,
    p99Ratio: ratio,
    alive,
    recorded,
    received: tally.samples,
    dropped,
    lost,
    notes: notes.join("; "),
    targets,
  };
}

describe("agent faults under load (real service processes, aggregate mode, real PostgreSQL)", () => {
  const harness = useFaultHarness();
  let baselineP99Ms: number | undefined;

  beforeAll(async () => {
    const seeded = await seedItem(harness.postgres);
    expect(seeded).toBe(201);
  });

  async function check(scenario: Scenario): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await runScenario(harness.postgres, harness.load, scenario);
    } catch (err) {
      recordRow(errorRow(scenario.order, scenario.name, err));
      throw err;
    }
    const row = summarize(outcome, scenario === HEALTHY ? undefined : baselineP99Ms);
    recordRow(row);
    if (scenario === HEALTHY) baselineP99Ms = outcome.p99Ms;

    const stats = outcome.exit.snapshot?.stats;
    const survived = outcome.aliveAtEnd && outcome.exit.exitCode === 0;
    expect({
      aliveAtEnd: outcome.aliveAtEnd,
      exitCode: outcome.exit.exitCode,
      outputOfAFailedService: survived ? "" : outcome.output,
      failedRequests: row.failed,
      invalidLines: outcome.tally.invalid,
      bufferedAfterClose: stats?.buffered,
      receivedPlusDropped: outcome.tally.samples + (stats?.dropped ?? Number.NaN),
      ...(scenario.overflows ? {} : { dropped: stats?.dropped }),
      controlProblems: outcome.controlProblems,
    }).toEqual({
      aliveAtEnd: true,
      exitCode: 0,
      outputOfAFailedService: "",
      failedRequests: 0,
      invalidLines: [],
      bufferedAfterClose: 0,
      receivedPlusDropped: stats?.recorded,
      ...(scenario.overflows ? {} : { dropped: 0 }),
      controlProblems: [],
    });
    if (scenario.overflows) expect(stats?.dropped).toBeGreaterThan(0);
    expect(outcome.p99Ms / outcome.controlP99Ms).toBeLessThanOrEqual(P99_BOUND);
  }

  it("GIVEN healthy agents WHEN both services are under load THEN nothing fails, every sample arrives and p99 matches (the baseline)", async () => {
    await check(HEALTHY);
  });

  it.each(FAULTS.map((scenario) => [scenario.name, scenario] as const))(
    "GIVEN load WHEN %s THEN the service survives, no request fails, p99 stays near the healthy control's and every sample is delivered or counted as dropped",
    async (_name, scenario) => {
      await check(scenario);
    },
  );

  it("GIVEN healthy agents again WHEN both services are under load THEN p99 still matches (the noise at the end of the run)", async () => {
    await check(HEALTHY_AGAIN);
  });
});

/** Creates item 1, which `GET /items/1` of the load reads, through a short-lived service. */
async function seedItem(postgres: TestPostgres): Promise<number> {
  const agent = await FakeAgent.start();
  const server = await startServerProcess({ env: serviceEnv(postgres, agent.endpoint) });
  try {
    return await createItem(server.url, "fault suite item");
  } finally {
    await server.terminate();
    await agent.stop();
  }
}
