/**
 * Section 4: PostgreSQL stopped and started again under load. The service process keeps running the
 * whole time; clients hit routes with and without the database, and every request's route, status,
 * error and timing is kept, so the timeline can be checked phase by phase:
 *
 * - throughout: `/` and `/health` answer 200, database routes answer 2xx or 503 (never 500, never
 *   another 5xx) within {@link MAX_DB_ROUTE_MS} (no hanging), no connection errors or timeouts;
 * - while the database is down: database routes answer 503;
 * - after it is back: database routes recover by themselves within {@link MAX_RECOVERY_MS} and stay 2xx.
 */
import { createItem, createItemRequest, sampleCounts, useFaultHarness } from "./support/fault-harness";
import { epochMs, type RequestRecord } from "./support/http-loop";
import { quantile, sleep } from "./support/load";

const SCENARIO = "4 database stopped 8 s and restarted under load";

/** A database route answering later than this counts as hanging (the pool's connect timeout is 2 s). */
const MAX_DB_ROUTE_MS = 5000;

/** Database routes must be back to 2xx this long after the database accepts connections again. */
const MAX_RECOVERY_MS = 5000;

const REQUESTS = [
  { path: "/" },
  { path: "/items/1" },
  { path: "/health" },
  { path: "/items?limit=5" },
  { path: "/ready" },
  createItemRequest("made while the database comes and goes"),
];

const NON_DB_ROUTES = new Set(["GET /", "GET /health"]);

const isOk = (r: RequestRecord): boolean => r.status !== undefined && r.status >= 200 && r.status < 300;
const describeRecord = (r: RequestRecord): string =>
  `${r.route} → ${r.status ?? r.error} in ${Math.round(r.endMs - r.startMs)} ms`;

describe("database stopped and restarted under load", () => {
  const harness = useFaultHarness();

  it("GIVEN load on database and other routes WHEN PostgreSQL stops and starts again THEN database routes answer 503 while it is down and recover by themselves, and the other routes never fail", () =>
    harness.run({ order: 4, scenario: SCENARIO }, async ({ postgres, load, server, report, close }) => {
      expect(await createItem(server.url, "item 1")).toBe(201);

      const loop = load.httpLoop({
        url: server.url,
        requests: REQUESTS,
        workers: 12,
        timeoutMs: 15_000,
        maxDurationMs: 60_000,
      });
      await loop.started;
      await sleep(3000);
      const stopCalledAt = epochMs();
      await postgres.stop();
      const downAt = epochMs();
      await sleep(8000);
      const startCalledAt = epochMs();
      await postgres.start();
      const upAt = epochMs();
      await sleep(8000);
      loop.stop();
      const records = await loop.done;
      const { alive, exit, stats, tally } = await close();

      const nonDb = records.filter((r) => NON_DB_ROUTES.has(r.route));
      const db = records.filter((r) => !NON_DB_ROUTES.has(r.route));
      const nonDbFailures = nonDb.filter((r) => !isOk(r));
      // Anything but 2xx or a prompt 503: a 500, another status, an error, a timeout, a slow answer.
      const dbMisbehaving = db.filter(
        (r) => !(isOk(r) || r.status === 503) || r.endMs - r.startMs > MAX_DB_ROUTE_MS,
      );
      const whileDown = db.filter((r) => r.startMs >= downAt && r.endMs <= startCalledAt);
      const firstOkAfterUp = db.find((r) => isOk(r) && r.startMs >= upAt);
      const recoveryMs = firstOkAfterUp ? firstOkAfterUp.endMs - upAt : Number.POSITIVE_INFINITY;
      const afterRecovery = db.filter((r) => r.startMs >= upAt + MAX_RECOVERY_MS);
      const notOkAfterRecovery = afterRecovery.filter((r) => !isOk(r));
      const before = nonDb.filter((r) => r.endMs < stopCalledAt).map((r) => r.endMs - r.startMs);
      const during = nonDb
        .filter((r) => r.startMs >= downAt && r.endMs <= startCalledAt)
        .map((r) => r.endMs - r.startMs);
      const nonDbP99Before = quantile(before, 0.99);
      const nonDbP99During = quantile(during, 0.99);
      const dbLatencyDown = quantile(
        whileDown.map((r) => r.endMs - r.startMs),
        1,
      );
      const counts = sampleCounts(stats, tally);
      const failed = nonDbFailures.length + dbMisbehaving.length;
      report({
        order: 4,
        scenario: SCENARIO,
        requests: records.length,
        failed,
        p99Ms: nonDbP99During,
        p99Ratio: nonDbP99During / nonDbP99Before,
        alive: alive && exit.exitCode === 0,
        ...counts,
        notes: [
          `p99 is of / and /health while the database is down, vs before (${nonDbP99Before.toFixed(1)} ms)`,
          `database routes while down: ${whileDown.length} answers, ${whileDown.filter((r) => r.status === 503).length} × 503, slowest ${dbLatencyDown.toFixed(0)} ms`,
          `recovered ${recoveryMs.toFixed(0)} ms after PostgreSQL was up`,
          `not 2xx after recovery: ${notOkAfterRecovery.length}`,
          `500s: ${records.filter((r) => r.status === 500).length}`,
          `stop took ${Math.round(downAt - stopCalledAt)} ms, start ${Math.round(upAt - startCalledAt)} ms`,
        ].join("; "),
        targets: [
          {
            name: "non-database routes never fail",
            pass: nonDbFailures.length === 0,
            actual: `${nonDbFailures.length}`,
          },
          {
            name: `database routes 2xx or 503 within ${MAX_DB_ROUTE_MS} ms`,
            pass: dbMisbehaving.length === 0,
            actual: `${dbMisbehaving.length} not`,
          },
          {
            name: "503 while down",
            pass: whileDown.length > 0 && whileDown.every((r) => r.status === 503),
            actual: `${whileDown.filter((r) => r.status !== 503).length} of ${whileDown.length} not 503`,
          },
          {
            name: `recovered within ${MAX_RECOVERY_MS} ms and stayed 2xx`,
            pass:
              recoveryMs <= MAX_RECOVERY_MS && afterRecovery.length > 0 && notOkAfterRecovery.length === 0,
            actual: `${recoveryMs.toFixed(0)} ms, ${notOkAfterRecovery.length} not 2xx after`,
          },
          { name: "received + dropped == recorded", pass: counts.lost === 0, actual: String(counts.lost) },
          { name: "alive, exit 0", pass: alive && exit.exitCode === 0, actual: `exit ${exit.exitCode}` },
        ],
      });

      expect({
        nonDbFailures: nonDbFailures.slice(0, 10).map(describeRecord),
        dbMisbehaving: dbMisbehaving.slice(0, 10).map(describeRecord),
        notServiceUnavailableWhileDown: whileDown
          .filter((r) => r.status !== 503)
          .slice(0, 10)
          .map(describeRecord),
        recoveredInTime: recoveryMs <= MAX_RECOVERY_MS,
        notOkAfterRecovery: notOkAfterRecovery.slice(0, 10).map(describeRecord),
        alive,
        exitCode: exit.exitCode,
        receivedPlusDropped: tally.samples + (stats?.dropped ?? Number.NaN),
      }).toEqual({
        nonDbFailures: [],
        dbMisbehaving: [],
        notServiceUnavailableWhileDown: [],
        recoveredInTime: true,
        notOkAfterRecovery: [],
        alive: true,
        exitCode: 0,
        receivedPlusDropped: stats?.recorded,
      });
      // The phases really happened under load.
      expect(whileDown.length).toBeGreaterThan(100);
      expect(afterRecovery.length).toBeGreaterThan(100);
    }));
});
