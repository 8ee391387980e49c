import http from "node:http";
import { PassThrough } from "node:stream";
import Koa from "koa";
import request from "supertest";
import {
  type LatencyMetricsMiddleware,
  type LatencyMetricsOptions,
  latencyMetrics,
} from "../../../app/metrics";
import { PUMP_DELAY_MS } from "../../../app/metrics/transport/buffered-transport";
import {
  DIMENSIONS,
  LATENCY_DIMENSION_SETS,
  LATENCY_METRIC,
  PROPERTIES,
  UNMATCHED_PATH,
} from "../../../contract/metrics";
import { FakeClock } from "../../support/fake-clock";
import {
  capturingLogger,
  type EmfDocument,
  eventually,
  latencyValues,
  listen,
  parseValid,
  routedApp,
  samplesByPathAndClass,
  totalSamples,
} from "./emf-helpers";

const { path: PATH, statusClass: STATUS_CLASS } = DIMENSIONS;

/**
 * The middleware writing to an in-memory stream (environment Local) on fake time, reading no
 * environment variable unless given `env`.
 */
function measured(options: LatencyMetricsOptions = {}, clock = new FakeClock()) {
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  const { logger, records } = capturingLogger();
  const middleware = latencyMetrics({ environment: "Local", output, clock, logger, env: {}, ...options });
  const lines = () => chunks.join("").split("\n").filter(Boolean);
  /** Closes the middleware and returns every document it wrote. */
  const documents = async (): Promise<EmfDocument[]> => {
    await middleware.close(1000);
    return parseValid(lines());
  };
  return { clock, middleware, lines, documents, records };
}

describe("latencyMetrics middleware", () => {
  describe("aggregate mode", () => {
    it("GIVEN requests to routes WHEN closed THEN each non-excluded request is one sample under its route template", async () => {
      // GIVEN
      const m = measured();
      const server = request(routedApp(m.middleware).app.callback());

      // WHEN
      for (let id = 0; id < 5; id++) await server.get(`/items/${id}?secret=token`).expect(200);
      await server.get("/").expect(200);
      await server.get("/health").expect(200);
      await server.get("/nowhere/42").expect(404);
      await server.post("/items").expect(201);
      const documents = await m.documents();

      // THEN
      expect(samplesByPathAndClass(documents)).toEqual({
        "/items/:id 2xx": 5,
        "/items 2xx": 1,
        "/ 2xx": 1,
        [`${UNMATCHED_PATH} 4xx`]: 1,
      });
      expect(m.lines().join("\n")).not.toContain("/items/3");
      expect(m.lines().join("\n")).not.toContain("secret");
      expect(m.middleware.stats()).toMatchObject({ recorded: 8, sent: 8, buffered: 0, dropped: 0 });
    });

    it("GIVEN one request WHEN its document is read THEN it has the contract's metric, dimension sets, namespace, log group and the clock's time", async () => {
      // GIVEN
      const m = measured({ namespace: "shop", logGroupName: "/ecs/shop/metrics", logStreamName: "task-1" });

      // WHEN
      await request(routedApp(m.middleware).app.callback()).get("/items/7").expect(200);
      const [document] = await m.documents();

      // THEN
      expect(document?._aws).toEqual({
        Timestamp: m.clock.epochNow(),
        LogGroupName: "/ecs/shop/metrics",
        LogStreamName: "task-1",
        CloudWatchMetrics: [
          {
            Namespace: "shop",
            Dimensions: LATENCY_DIMENSION_SETS,
            Metrics: [{ Name: LATENCY_METRIC.name, Unit: LATENCY_METRIC.unit }],
          },
        ],
      });
      expect(document).toMatchObject({
        [PATH]: "/items/:id",
        [STATUS_CLASS]: "2xx",
        [PROPERTIES.method]: "GET",
      });
      expect(document?.ServiceName).toBeUndefined();
      expect(latencyValues(document as EmfDocument)).toEqual([0]);
    });

    it("GIVEN defaultDimensions WHEN a document is read THEN ServiceName, ServiceType and LogGroup join every set", async () => {
      // GIVEN
      const m = measured({ defaultDimensions: true, serviceName: "orders" });

      // WHEN
      await request(routedApp(m.middleware).app.callback()).get("/").expect(200);
      const [document] = await m.documents();

      // THEN
      const defaults = ["ServiceName", "ServiceType", "LogGroup"];
      expect(document?._aws.CloudWatchMetrics).toEqual([
        expect.objectContaining({ Dimensions: LATENCY_DIMENSION_SETS.map((set) => [...defaults, ...set]) }),
      ]);
      expect(document).toMatchObject({
        ServiceName: "orders",
        ServiceType: "Unknown",
        LogGroup: "orders-metrics",
      });
    });

    it("GIVEN 250 requests to one route WHEN served THEN full documents leave at 100 values, the rest at close", async () => {
      // GIVEN
      const m = measured();
      const server = request(routedApp(m.middleware).app.callback());

      // WHEN
      for (let i = 0; i < 250; i++) await server.get(`/items/${i}`).expect(200);
      await m.clock.advance(PUMP_DELAY_MS);
      const beforeClose = parseValid(m.lines()).map((d) => latencyValues(d).length);
      const documents = await m.documents();

      // THEN
      expect(beforeClose).toEqual([100, 100]);
      expect(documents.map((d) => latencyValues(d).length)).toEqual([100, 100, 50]);
    });

    it("GIVEN flushIntervalMs WHEN it passes THEN partial documents leave without close", async () => {
      // GIVEN
      const m = measured({ flushIntervalMs: 5000 });
      await request(routedApp(m.middleware).app.callback()).get("/").expect(200);

      // WHEN
      await m.clock.advance(4999);
      const before = m.lines().length;
      await m.clock.advance(1 + PUMP_DELAY_MS);

      // THEN the document was written within the pump delay
      expect(before).toBe(0);
      expect(totalSamples(parseValid(m.lines()))).toBe(1);
    });

    it("GIVEN requests on both sides of a wall-clock minute WHEN flushed THEN each minute's values leave in their own document", async () => {
      // GIVEN a clock 10 ms before a minute ends
      const epoch = 1_763_078_459_990;
      const m = measured({}, new FakeClock(epoch));
      const server = request(routedApp(m.middleware).app.callback());

      // WHEN
      await server.get("/").expect(200);
      await m.clock.advance(20);
      await server.get("/").expect(200);
      const documents = await m.documents();

      // THEN
      expect(documents.map((d) => [d._aws.Timestamp, latencyValues(d).length])).toEqual([
        [epoch, 1],
        [epoch + 20, 1],
      ]);
    });

    it("GIVEN an aggregate document over maxDocumentBytes WHEN published THEN it is split into documents that fit and none over the limit is written", async () => {
      // GIVEN a 1 KiB limit, which 100 values of ~1.2 s and their metadata exceed
      const m = measured({ maxDocumentBytes: 1024, flushIntervalMs: 600_000 });
      const app = new Koa();
      app.use(m.middleware);
      app.use(async (ctx) => {
        await m.clock.advance(1234.567);
        ctx.body = "ok";
      });
      const server = request(app.callback());

      // WHEN
      for (let i = 0; i < 100; i++) await server.get("/").expect(200);
      const documents = await m.documents();

      // THEN
      expect(documents.length).toBeGreaterThan(1);
      expect(m.lines().every((line) => Buffer.byteLength(line) <= 1024)).toBe(true);
      expect(totalSamples(documents)).toBe(100);
      expect(m.middleware.stats()).toMatchObject({ recorded: 100, sent: 100, dropped: 0 });
    });

    it("GIVEN excluded templates and paths WHEN requested THEN they are not measured", async () => {
      // GIVEN
      const m = measured({ exclude: ["/items/:id", "/"] });
      const server = request(routedApp(m.middleware).app.callback());

      // WHEN
      await server.get("/items/1").expect(200);
      await server.get("/").expect(200);
      await server.get("/health").expect(200);
      const documents = await m.documents();

      // THEN /health is measured: the default exclusion was replaced
      expect(samplesByPathAndClass(documents)).toEqual({ "/health 2xx": 1 });
      expect(m.middleware.stats().recorded).toBe(1);
    });

    it("GIVEN an app without @koa/router and a route option WHEN requests are served THEN Path is what the option returns", async () => {
      // GIVEN
      const m = measured({
        route: (ctx) => (ctx.path.startsWith("/users/") ? "/users/{id}" : undefined),
      });
      const app = new Koa();
      app.use(m.middleware);
      app.use((ctx) => {
        ctx.body = "ok";
      });
      const server = request(app.callback());

      // WHEN
      await server.get("/users/1").expect(200);
      await server.get("/users/2").expect(200);
      await server.get("/other").expect(200);
      const documents = await m.documents();

      // THEN
      expect(samplesByPathAndClass(documents)).toEqual({
        "/users/{id} 2xx": 2,
        [`${UNMATCHED_PATH} 2xx`]: 1,
      });
    });
  });

  describe("statuses", () => {
    it("GIVEN handlers that throw WHEN closed THEN the status the client got is recorded", async () => {
      // GIVEN
      const m = measured({ mode: "request" });
      const server = request(routedApp(m.middleware).app.callback());

      // WHEN
      await server.get("/boom").expect(500);
      await server.get("/teapot").expect(418);
      await server.get("/unavailable").expect(503);
      const documents = await m.documents();

      // THEN
      expect(documents.map((d) => [d[PATH], d[STATUS_CLASS], d[PROPERTIES.statusCode]])).toEqual([
        ["/boom", "5xx", 500],
        ["/teapot", "4xx", 418],
        ["/unavailable", "5xx", 503],
      ]);
    });

    it("GIVEN a handler that throws WHEN it runs THEN the middleware rethrows the same error", async () => {
      // GIVEN
      const m = measured();
      const seen: unknown[] = [];
      const { app } = routedApp(m.middleware, async (_ctx, next) => {
        try {
          await next();
        } catch (error) {
          seen.push(error);
          throw error;
        }
      });

      // WHEN
      await request(app.callback()).get("/teapot").expect(418);

      // THEN
      expect(seen).toEqual([expect.objectContaining({ status: 418, message: "short and stout" })]);
    });

    it("GIVEN a client that disconnects before the response WHEN closed THEN the sample is aborted", async () => {
      // GIVEN a real server: only a real socket can go away mid-request
      const m = measured();
      const { app, slow } = routedApp(m.middleware);
      const server = await listen(app);
      const route = slow();

      // WHEN
      const clientRequest = http.get(`${server.url}/slow`);
      clientRequest.on("error", () => undefined);
      await route.started;
      clientRequest.destroy();
      await eventually(() => m.middleware.stats().recorded === 1, "the aborted request to be recorded");
      route.release();
      const documents = await m.documents();
      await server.close();

      // THEN
      expect(samplesByPathAndClass(documents)).toEqual({ "/slow aborted": 1 });
    });
  });

  describe("request mode", () => {
    it("GIVEN requests WHEN closed THEN one document per request carries Method, Url, StatusCode and RequestId", async () => {
      // GIVEN
      const m = measured({ mode: "request" });
      const { app } = routedApp(m.middleware, async (ctx, next) => {
        if (ctx.get("x-use-state")) ctx.state.requestId = "from-state";
        await next();
      });
      const server = request(app.callback());

      // WHEN
      await server.get("/items/42?token=secret").set("x-request-id", "req-1").expect(200);
      await server.get("/items/43").set("x-use-state", "1").expect(200);
      await server.get("/missing").expect(404);
      const documents = await m.documents();

      // THEN
      expect(documents.map(({ _aws, Latency, ...rest }) => rest)).toEqual([
        {
          [PATH]: "/items/:id",
          [STATUS_CLASS]: "2xx",
          [PROPERTIES.method]: "GET",
          [PROPERTIES.url]: "/items/42",
          [PROPERTIES.statusCode]: 200,
          [PROPERTIES.requestId]: "req-1",
        },
        {
          [PATH]: "/items/:id",
          [STATUS_CLASS]: "2xx",
          [PROPERTIES.method]: "GET",
          [PROPERTIES.url]: "/items/43",
          [PROPERTIES.statusCode]: 200,
          [PROPERTIES.requestId]: "from-state",
        },
        {
          [PATH]: UNMATCHED_PATH,
          [STATUS_CLASS]: "4xx",
          [PROPERTIES.method]: "GET",
          [PROPERTIES.url]: "/missing",
          [PROPERTIES.statusCode]: 404,
        },
      ]);
    });

    it("GIVEN a handler that takes 50 ms of the clock WHEN measured THEN the sample is those 50 ms", async () => {
      // GIVEN
      const m = measured({ mode: "request" });
      const { app, slow } = routedApp(m.middleware);
      const route = slow();
      void route.started.then(async () => {
        await m.clock.advance(50);
        route.release();
      });

      // WHEN
      await request(app.callback()).get("/slow").expect(200);
      const [document] = await m.documents();

      // THEN
      expect(document?.[LATENCY_METRIC.name]).toBe(50);
    });

    it("GIVEN documents at and one byte over maxDocumentBytes WHEN published THEN the first is written, the second dropped and counted, never written", async () => {
      // GIVEN the size of a document for a one-character Url, then limits around a longer one
      const probe = measured({ mode: "request" });
      await request(routedApp(probe.middleware).app.callback()).get("/items/a").expect(200);
      const [base] = (await probe.documents()).map((d) => Buffer.byteLength(JSON.stringify(d)));
      const limit = (base as number) + 800;
      const m = measured({ mode: "request", maxDocumentBytes: limit });
      const server = request(routedApp(m.middleware).app.callback());

      // WHEN Urls 800 and 801 characters longer than the probe's
      await server.get(`/items/a${"b".repeat(800)}`).expect(200);
      await server.get(`/items/a${"b".repeat(801)}`).expect(200);
      await m.middleware.close(1000);

      // THEN
      expect(m.lines().map((line) => Buffer.byteLength(line))).toEqual([limit]);
      expect(m.middleware.stats()).toMatchObject({ recorded: 2, sent: 1, dropped: 1 });
      expect(m.middleware.stats().documents.oversized).toBe(1);
      expect(m.records).toContainEqual(
        expect.objectContaining({
          msg: "EMF document larger than maxDocumentBytes dropped",
          bytes: limit + 1,
        }),
      );
    });
  });

  describe("environment", () => {
    it("GIVEN only the AWS_EMF_* variables WHEN requests are served THEN the documents carry their namespace, log group and stream", async () => {
      // GIVEN
      const m = measured({
        env: {
          AWS_EMF_NAMESPACE: "shop",
          AWS_EMF_LOG_GROUP_NAME: "/ecs/shop/emf",
          AWS_EMF_LOG_STREAM_NAME: "shop",
          AWS_EMF_SERVICE_NAME: "shop",
          AWS_EMF_ENVIRONMENT: "Local",
        },
        environment: undefined,
      });

      // WHEN
      await request(routedApp(m.middleware).app.callback()).get("/").expect(200);
      const [document] = await m.documents();

      // THEN
      expect(document?._aws).toMatchObject({
        LogGroupName: "/ecs/shop/emf",
        LogStreamName: "shop",
        CloudWatchMetrics: [expect.objectContaining({ Namespace: "shop" })],
      });
    });
  });

  describe("mode off", () => {
    it("GIVEN mode off WHEN requests are served THEN they pass through, nothing is written or scheduled, and close resolves", async () => {
      // GIVEN
      const m = measured({ mode: "off" });

      // WHEN
      await request(routedApp(m.middleware).app.callback()).get("/items/1").expect(200);
      await m.middleware.close();

      // THEN
      expect(m.lines()).toEqual([]);
      expect(m.middleware.stats()).toMatchObject({ recorded: 0, sent: 0, buffered: 0, dropped: 0 });
      expect(m.clock.pending().timers).toBe(0);
      expect(m.middleware.name).toBe("latencyMetricsMiddleware");
    });
  });

  describe("counters and lifecycle", () => {
    it("GIVEN statsIntervalMs WHEN it passes THEN the counters are logged", async () => {
      // GIVEN
      const m = measured({ statsIntervalMs: 1000, mode: "request" });
      await request(routedApp(m.middleware).app.callback()).get("/").expect(200);
      await m.clock.advance(PUMP_DELAY_MS);
      await eventually(() => m.middleware.stats().sent === 1, "the write callback");

      // WHEN
      await m.clock.advance(1000);

      // THEN
      expect(m.records.filter((r) => r.msg === "latency metrics counters")).toEqual([
        expect.objectContaining({
          level: 30,
          emf: expect.objectContaining({
            recorded: 1,
            sent: 1,
            buffered: 0,
            dropped: 0,
            documents: expect.objectContaining({ sent: 1, buffered: 0, dropped: 0 }),
          }),
        }),
      ]);
    });

    it("GIVEN a closed middleware WHEN more requests are served THEN they pass, are counted as dropped, and close returns the same promise", async () => {
      // GIVEN
      const m = measured({ mode: "request" });
      const closing = m.middleware.close(500);
      await closing;

      // WHEN
      const server = request(routedApp(m.middleware).app.callback());
      for (let i = 0; i < 3; i++) await server.get("/").expect(200);

      // THEN
      expect(m.middleware.close(10)).toBe(closing);
      expect(m.middleware.stats()).toMatchObject({ recorded: 3, sent: 0, buffered: 0, dropped: 3 });
      expect(m.clock.pending().timers).toBe(0);
    });

    it("GIVEN an invalid mode WHEN the middleware is created THEN it throws a TypeError naming mode and value", () => {
      // GIVEN
      const options = { mode: "sometimes", env: {} } as unknown as LatencyMetricsOptions;

      // WHEN / THEN
      expect(() => latencyMetrics(options)).toThrow(
        new TypeError(
          'latencyMetrics: invalid options:\n- mode "sometimes" is not valid; allowed: off, aggregate, request',
        ),
      );
    });

    it("GIVEN the middleware WHEN inspected THEN it is a named function with close and stats", async () => {
      // GIVEN / WHEN
      const m: { middleware: LatencyMetricsMiddleware } = measured();

      // THEN
      expect(m.middleware.name).toBe("latencyMetricsMiddleware");
      expect(m.middleware.stats()).toEqual(
        expect.objectContaining({ recorded: 0, sent: 0, buffered: 0, dropped: 0 }),
      );
      await m.middleware.close(0);
    });
  });
});
