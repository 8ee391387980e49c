/**
 * `highResolution`: the option and its variable (AWS_EMF_LATENCY_HIGH_RESOLUTION, this project's, which
 * EmfFargateService sets with `metrics.highResolution`), and what the middleware then publishes on fake time:
 * `"StorageResolution": 1` on the Latency definition, one aggregate document per key and 10-second window, each
 * leaving within the flush interval of its window's end.
 */
import { PassThrough } from "node:stream";
import request from "supertest";
import { type LatencyMetricsOptions, latencyMetrics } from "../../../app/metrics";
import { resolveOptions } from "../../../app/metrics/resolve-options";
import { PUMP_DELAY_MS } from "../../../app/metrics/transport/buffered-transport";
import { EMF_VARIABLES, LATENCY_METRIC } from "../../../contract/metrics";
import { FakeClock } from "../../support/fake-clock";
import { capturingLogger, type EmfDocument, latencyValues, parseValid, routedApp } from "./emf-helpers";

const { logger } = capturingLogger();
const VARIABLE = EMF_VARIABLES.highResolution;
/** FakeClock's default start: a whole minute, so its 10-second windows start at 0 s, 10 s, 20 s… */
const EPOCH = 1_763_078_400_000;

const resolve = (options: Record<string, unknown>, env: Record<string, string> = {}) =>
  resolveOptions({ logger, env, ...options } as LatencyMetricsOptions);
const problem = (line: string) => new TypeError(`latencyMetrics: invalid options:\n- ${line}`);

/** The middleware on fake time writing to memory; one request to /items/:id every second, at 0.5 s, 1.5 s… */
function measured(options: LatencyMetricsOptions) {
  const clock = new FakeClock(EPOCH);
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  const middleware = latencyMetrics({ environment: "Local", output, clock, logger, env: {}, ...options });
  const server = request(routedApp(middleware).app.callback());
  const lines = () => chunks.join("").split("\n").filter(Boolean);
  const oneRequestPerSecond = async (seconds: number) => {
    await clock.advance(500);
    for (let i = 0; i < seconds; i++) {
      await server.get(`/items/${i}`).expect(200);
      await clock.advance(1000);
    }
  };
  const documents = async (): Promise<EmfDocument[]> => {
    await middleware.close(1000);
    return parseValid(lines());
  };
  return { clock, lines, oneRequestPerSecond, documents };
}

const definitionOf = (document: EmfDocument) =>
  (document._aws.CloudWatchMetrics[0] as { Metrics: unknown[] }).Metrics;

describe("latencyMetrics highResolution option", () => {
  it.each([
    [{}, {}, false, 10_000],
    [{}, { [VARIABLE]: "true" }, true, 1_000],
    [{}, { [VARIABLE]: "false" }, false, 10_000],
    [{}, { [VARIABLE]: "" }, false, 10_000],
    [{ highResolution: false }, { [VARIABLE]: "true" }, false, 10_000],
    [{ highResolution: true }, {}, true, 1_000],
    [{ highResolution: true, flushIntervalMs: 5_000 }, {}, true, 5_000],
  ])(
    "GIVEN options %j and variables %j WHEN resolved THEN highResolution is %s and the flush interval %i ms",
    (options, env, highResolution, flushIntervalMs) => {
      // GIVEN / WHEN
      const resolved = resolve(options, env);

      // THEN
      expect([resolved.highResolution, resolved.flushIntervalMs]).toEqual([highResolution, flushIntervalMs]);
    },
  );

  it.each([
    [{}, { [VARIABLE]: "1" }, `highResolution (${VARIABLE}) "1" is not valid; allowed: true, false`],
    [{}, { [VARIABLE]: "TRUE" }, `highResolution (${VARIABLE}) "TRUE" is not valid; allowed: true, false`],
    [{ highResolution: "true" }, {}, 'highResolution "true" is not valid; allowed: a boolean'],
    [{ highResolution: 1 }, {}, "highResolution 1 is not valid; allowed: a boolean"],
    [
      { highResolution: true, flushIntervalMs: 10_000 },
      {},
      "flushIntervalMs 10000 is not valid; allowed: an integer of ms from 1 to 5000 with highResolution (AWS recommends publishing high-resolution EMF within 5 s)",
    ],
    [
      { flushIntervalMs: 5_001 },
      { [VARIABLE]: "true" },
      "flushIntervalMs 5001 is not valid; allowed: an integer of ms from 1 to 5000 with highResolution (AWS recommends publishing high-resolution EMF within 5 s)",
    ],
  ])("GIVEN options %j and variables %j WHEN resolved THEN it is refused: %s", (options, env, message) => {
    // GIVEN / WHEN / THEN
    expect(() => resolve(options, env)).toThrow(problem(message));
  });

  it("GIVEN request mode WHEN high resolution meets a long flush interval THEN it is accepted: request documents leave at once", () => {
    // GIVEN / WHEN
    const resolved = resolve({ mode: "request", flushIntervalMs: 60_000 }, { [VARIABLE]: "true" });

    // THEN
    expect([resolved.highResolution, resolved.flushIntervalMs]).toEqual([true, 60_000]);
  });
});

describe("latencyMetrics with highResolution", () => {
  it("GIVEN the variable and one request a second for a minute WHEN flushed THEN one document per 10-second window, each defining Latency at resolution 1", async () => {
    // GIVEN
    const m = measured({ env: { [VARIABLE]: "true" } });

    // WHEN
    await m.oneRequestPerSecond(60);
    const documents = await m.documents();

    // THEN every window's ten samples in one document stamped with its first sample, inside the window
    expect(documents.map((d) => [d._aws.Timestamp - EPOCH, latencyValues(d).length])).toEqual(
      [0, 1, 2, 3, 4, 5].map((window) => [window * 10_000 + 500, 10]),
    );
    for (const document of documents)
      expect(definitionOf(document)).toEqual([
        { Name: LATENCY_METRIC.name, Unit: LATENCY_METRIC.unit, StorageResolution: 1 },
      ]);
  });

  it("GIVEN high resolution WHEN a window ends THEN its document is written within the 1 s flush interval, and not before the window ends", async () => {
    // GIVEN nine requests in the window [0 s, 10 s), at 0.5 s … 8.5 s; the clock then at 9.5 s
    const m = measured({ highResolution: true });
    await m.oneRequestPerSecond(9);
    const beforeEnd = m.lines().length;

    // WHEN the window ends and the flush after it runs
    await m.clock.advance(500 + 1000 + PUMP_DELAY_MS);

    // THEN
    expect(beforeEnd).toBe(0);
    expect(m.lines().map((line) => latencyValues(JSON.parse(line)).length)).toEqual([9]);
  });

  it("GIVEN the default WHEN the same minute of traffic is flushed THEN as many documents leave, without StorageResolution", async () => {
    // GIVEN
    const m = measured({});

    // WHEN
    await m.oneRequestPerSecond(60);
    const documents = await m.documents();

    // THEN the 10-s flush makes as many documents as high resolution's windows, at standard resolution
    expect(documents.map((d) => latencyValues(d).length)).toEqual([10, 10, 10, 10, 10, 10]);
    for (const document of documents)
      expect(definitionOf(document)).toEqual([{ Name: LATENCY_METRIC.name, Unit: LATENCY_METRIC.unit }]);
  });
});
