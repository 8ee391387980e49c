/**
 * Section 3: memory stays bounded over one million requests in aggregate mode. `GET /` is the lightest
 * route that is measured (`/health` is excluded from metrics), so a million of them take about a
 * minute and a half here with 32 connections × 10 pipelined requests; each one still records a latency
 * sample, so the aggregator, the transport and the fake agent see a million samples.
 *
 * RSS is read after a warm-up of 50,000 requests and again at the end, both right after a full
 * collection (the child runs with --expose-gc) so that the comparison is between live memory, not
 * between two points of the collector's cycle; the peak RSS during the run is reported as well.
 */
import { sampleCounts, useFaultHarness } from "./support/fault-harness";
import { sleep } from "./support/load";
import type { ChildSnapshot } from "./support/server-child";
import type { ServerProcess } from "./support/server-process";

const SCENARIO = "3 memory over 1,000,000 requests (GET /, aggregate)";

const REQUESTS = 1_000_000;
const WARMUP_REQUESTS = 50_000;

/**
 * Asserted bound of RSS growth from after the warm-up to the end. A leak of even 50 bytes per request
 * would exceed it; the aggregator and the transport hold at most a few documents at a time.
 */
const MAX_RSS_GROWTH_MB = 50;

/** Upper bound of the measured run: well above the ~90 s it takes, so only a stuck load hits it. */
const MAX_SECONDS = 300;

const MB = 1024 * 1024;

const CONNECTIONS = 32;
const PIPELINING = 10;

/**
 * autocannon's `amount` stops up to connections × pipelining requests short (the pipelined tail), so
 * that much is asked for on top; the check is that at least {@link REQUESTS} were answered.
 */
const SLACK = CONNECTIONS * PIPELINING;

async function settledSnapshot(server: ServerProcess): Promise<ChildSnapshot> {
  server.gc();
  // The collection runs on the child's event loop; let it finish and the allocator return pages.
  await sleep(1000);
  return server.snapshot();
}

describe("memory over one million requests", () => {
  const harness = useFaultHarness();

  it(`GIVEN aggregate mode WHEN ${REQUESTS.toLocaleString("en-US")} requests are served THEN RSS grows by less than ${MAX_RSS_GROWTH_MB} MB and every sample reaches the agent`, () =>
    harness.run({ order: 3, scenario: SCENARIO, exposeGc: true }, async ({ load, server, report, close }) => {
      const options = {
        url: server.url,
        requests: [{ path: "/" }],
        connections: CONNECTIONS,
        pipelining: PIPELINING,
        durationSeconds: MAX_SECONDS,
        keepLatencies: false,
      };
      const warmup = await load.autocannon({ ...options, amount: WARMUP_REQUESTS }).done;
      const afterWarmup = await settledSnapshot(server);

      let peakRss = afterWarmup.memory.rss;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { memory } = await server.snapshot();
          peakRss = Math.max(peakRss, memory.rss);
          await sleep(1000);
        }
      })();
      const started = Date.now();
      const measured = await load.autocannon({ ...options, amount: REQUESTS + SLACK }).done.finally(() => {
        sampling = false;
      });
      const seconds = (Date.now() - started) / 1000;
      await sampler;
      const atEnd = await server.snapshot();
      const settled = await settledSnapshot(server);
      const { alive, exit, stats, tally } = await close();

      const growthMb = (settled.memory.rss - afterWarmup.memory.rss) / MB;
      const heapGrowthMb = (settled.memory.heapUsed - afterWarmup.memory.heapUsed) / MB;
      const failed = warmup.non2xx + warmup.errors + measured.non2xx + measured.errors;
      const counts = sampleCounts(stats, tally);
      const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
      report({
        order: 3,
        scenario: SCENARIO,
        requests: warmup.requests + measured.requests,
        failed,
        p99Ms: null,
        p99Ratio: null,
        alive: alive && exit.exitCode === 0,
        ...counts,
        notes: [
          `RSS after warm-up ${mb(afterWarmup.memory.rss)} → end ${mb(settled.memory.rss)} (${growthMb >= 0 ? "+" : ""}${growthMb.toFixed(1)} MB, bound ${MAX_RSS_GROWTH_MB} MB)`,
          `before the final GC ${mb(atEnd.memory.rss)}, peak ${mb(peakRss)}`,
          `heap used ${mb(afterWarmup.memory.heapUsed)} → ${mb(settled.memory.heapUsed)} (${heapGrowthMb >= 0 ? "+" : ""}${heapGrowthMb.toFixed(1)} MB)`,
          `${Math.round(measured.requests / seconds).toLocaleString("en-US")} req/s over ${seconds.toFixed(0)} s`,
          `${tally.lines.toLocaleString("en-US")} EMF lines`,
        ].join("; "),
        targets: [
          {
            name: `RSS growth < ${MAX_RSS_GROWTH_MB} MB`,
            pass: growthMb < MAX_RSS_GROWTH_MB,
            actual: `${growthMb.toFixed(1)} MB`,
          },
          { name: "failed requests == 0", pass: failed === 0, actual: String(failed) },
          { name: "1,000,000 served", pass: measured.ok >= REQUESTS, actual: String(measured.ok) },
          { name: "received + dropped == recorded", pass: counts.lost === 0, actual: String(counts.lost) },
          { name: "alive, exit 0", pass: alive && exit.exitCode === 0, actual: `exit ${exit.exitCode}` },
        ],
      });

      expect({
        growthBelowBound: growthMb < MAX_RSS_GROWTH_MB,
        servedAtLeastAMillion: measured.ok >= REQUESTS,
        failed,
        alive,
        exitCode: exit.exitCode,
        // Responses plus the pipelined requests in flight when autocannon stopped (recorded as aborted).
        recordedCoversResponses:
          (stats?.recorded ?? 0) >= warmup.ok + measured.ok &&
          (stats?.recorded ?? 0) <= warmup.ok + measured.ok + 2 * SLACK,
        receivedPlusDropped: tally.samples + (stats?.dropped ?? Number.NaN),
      }).toEqual({
        growthBelowBound: true,
        servedAtLeastAMillion: true,
        failed: 0,
        alive: true,
        exitCode: 0,
        recordedCoversResponses: true,
        receivedPlusDropped: stats?.recorded,
      });
    }));
});
