import http from "node:http";
import { PassThrough } from "node:stream";
import request from "supertest";
import {
  type LatencyMetricsMiddleware,
  type LatencyMetricsOptions,
  latencyMetrics,
} from "../../../app/metrics";
import {
  DIMENSIONS,
  LATENCY_DIMENSION_SETS,
  LATENCY_METRIC,
  PROPERTIES,
  UNMATCHED_PATH,
} from "../../../contract/metrics";
import { FakeAgent } from "../../support/fake-agent";
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

describe("latencyMetrics middleware", () => {
  let agent: FakeAgent;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    agent = await FakeAgent.start();
    cleanups.push(() => agent.stop());
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function metrics(options: LatencyMetricsOptions = {}): LatencyMetricsMiddleware {
    const middleware = latencyMetrics({
      endpoint: agent.endpoint,
      logger: capturingLogger().logger,
      ...options,
    });
    cleanups.push(() => middleware.close(1000));
    return middleware;
  }

  async function documentsAfterClose(middleware: LatencyMetricsMiddleware): Promise<EmfDocument[]> {
    await middleware.close(2000);
    const sent = middleware.stats().documents.sent;
    // close() resolves once the kernel has the data; the agent reads it until our FIN.
    await agent.waitFor((a) => a.lines.length >= sent && a.openConnections === 0, `${sent} documents`);
    return parseValid(agent.lines);
  }

  describe("aggregate mode", () => {
    it("GIVEN requests to routes WHEN closed THEN each non-excluded request is one sample under its route template", async () => {
      // GIVEN
      const middleware = metrics();
      const { app } = routedApp(middleware);
      const server = request(app.callback());

      // WHEN
      for (let id = 0; id < 5; id++) await server.get(`/items/${id}?secret=token`).expect(200);
      await server.get("/").expect(200);
      await server.get("/health").expect(200);
      await server.get("/nowhere/42").expect(404);
      await server.post("/items").expect(201);
      const documents = await documentsAfterClose(middleware);

      // THEN
      expect(samplesByPathAndClass(documents)).toEqual({
        "/items/:id 2xx": 5,
        "/items 2xx": 1,
        "/ 2xx": 1,
        [`${UNMATCHED_PATH} 4xx`]: 1,
      });
      expect(documents.map((d) => d[PATH])).not.toContain("/items/3");
      expect(middleware.stats()).toMatchObject({ recorded: 8, sent: 8, buffered: 0, dropped: 0 });
    });

    it("GIVEN one request WHEN its document is read THEN it has the contract's metric, dimension sets, namespace and log group", async () => {
      // GIVEN
      const middleware = metrics({
        namespace: "shop",
        logGroupName: "/ecs/shop/metrics",
        logStreamName: "task-1",
      });
      const { app } = routedApp(middleware);
      const before = Date.now();

      // WHEN
      await request(app.callback()).get("/items/7").expect(200);
      const [document] = await documentsAfterClose(middleware);

      // THEN
      expect(document?._aws).toEqual({
        Timestamp: expect.any(Number),
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
      expect(document?._aws.Timestamp).toBeGreaterThanOrEqual(before);
      expect(document).toMatchObject({
        [PATH]: "/items/:id",
        [STATUS_CLASS]: "2xx",
        [PROPERTIES.method]: "GET",
      });
      expect(document?.ServiceName).toBeUndefined();
      expect(latencyValues(document as EmfDocument)).toEqual([expect.any(Number)]);
    });

    it("GIVEN defaultDimensions WHEN a document is read THEN ServiceName, ServiceType and LogGroup join every set", async () => {
      // GIVEN
      const middleware = metrics({ defaultDimensions: true, serviceName: "orders" });
      const { app } = routedApp(middleware);

      // WHEN
      await request(app.callback()).get("/").expect(200);
      const [document] = await documentsAfterClose(middleware);

      // THEN
      const defaults = ["ServiceName", "ServiceType", "LogGroup"];
      expect(document?._aws.CloudWatchMetrics).toEqual([
        expect.objectContaining({ Dimensions: LATENCY_DIMENSION_SETS.map((set) => [...defaults, ...set]) }),
      ]);
      expect(document).toMatchObject({ ServiceName: "orders", LogGroup: "orders-metrics" });
    });

    it("GIVEN 250 requests to one route WHEN closed THEN no document holds more than 100 values and none is lost", async () => {
      // GIVEN
      const middleware = metrics({ flushIntervalMs: 600_000 });
      const { app } = routedApp(middleware);
      const server = await listen(app);
      cleanups.push(() => server.close());

      // Documents also split at wall-clock minutes; start early in one so only the 100-value rule applies.
      const intoMinuteMs = Date.now() % 60_000;
      if (intoMinuteMs > 50_000)
        await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinuteMs + 10));

      // WHEN
      for (let i = 0; i < 250; i++) expect((await fetch(`${server.url}/items/${i}`)).status).toBe(200);
      await agent.waitForLines(2);
      const beforeClose = parseValid(agent.lines).map((d) => latencyValues(d).length);
      const documents = await documentsAfterClose(middleware);

      // THEN full documents leave as soon as a key holds 100 values, the rest at close
      expect(beforeClose).toEqual([100, 100]);
      expect(documents.map((d) => latencyValues(d).length)).toEqual([100, 100, 50]);
    });

    it("GIVEN a short flush interval WHEN a request is served THEN its document arrives without close", async () => {
      // GIVEN
      const middleware = metrics({ flushIntervalMs: 50 });
      const { app } = routedApp(middleware);

      // WHEN
      await request(app.callback()).get("/").expect(200);
      await agent.waitForLines(1);

      // THEN
      expect(totalSamples(parseValid(agent.lines))).toBe(1);
    });

    it("GIVEN handlers that throw WHEN closed THEN the status the client got is recorded", async () => {
      // GIVEN
      const middleware = metrics({ mode: "request" });
      const { app } = routedApp(middleware);
      const server = request(app.callback());

      // WHEN
      await server.get("/boom").expect(500);
      await server.get("/teapot").expect(418);
      await server.get("/unavailable").expect(503);
      const documents = await documentsAfterClose(middleware);

      // THEN
      expect(documents.map((d) => [d[PATH], d[STATUS_CLASS], d[PROPERTIES.statusCode]])).toEqual([
        ["/boom", "5xx", 500],
        ["/teapot", "4xx", 418],
        ["/unavailable", "5xx", 503],
      ]);
    });

    it("GIVEN a handler that throws WHEN it runs THEN the middleware rethrows the same error", async () => {
      // GIVEN
      const middleware = metrics();
      const seen: unknown[] = [];
      const { app } = routedApp(middleware, async (_ctx, next) => {
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
      // GIVEN
      const middleware = metrics();
      const { app, slow } = routedApp(middleware);
      const server = await listen(app);
      cleanups.push(() => server.close());
      const route = slow();

      // WHEN
      const clientRequest = http.get(`${server.url}/slow`);
      clientRequest.on("error", () => undefined);
      await route.started;
      clientRequest.destroy();
      await eventually(() => middleware.stats().recorded === 1, "the aborted request to be recorded");
      route.release();
      const documents = await documentsAfterClose(middleware);

      // THEN
      expect(samplesByPathAndClass(documents)).toEqual({ "/slow aborted": 1 });
    });

    it("GIVEN excluded templates and paths WHEN requested THEN they are not measured", async () => {
      // GIVEN
      const middleware = metrics({ exclude: ["/items/:id", "/"] });
      const { app } = routedApp(middleware);
      const server = request(app.callback());

      // WHEN
      await server.get("/items/1").expect(200);
      await server.get("/").expect(200);
      await server.get("/health").expect(200);
      const documents = await documentsAfterClose(middleware);

      // THEN /health is measured: the default exclusion was replaced
      expect(samplesByPathAndClass(documents)).toEqual({ "/health 2xx": 1 });
      expect(middleware.stats().recorded).toBe(1);
    });
  });

  describe("request mode", () => {
    it("GIVEN requests WHEN closed THEN one document per request carries Method, Url, StatusCode and RequestId", async () => {
      // GIVEN
      const middleware = metrics({ mode: "request" });
      const { app } = routedApp(middleware, async (ctx, next) => {
        if (ctx.get("x-use-state")) ctx.state.requestId = "from-state";
        await next();
      });
      const server = request(app.callback());

      // WHEN
      await server.get("/items/42?token=secret").set("x-request-id", "req-1").expect(200);
      await server.get("/items/43").set("x-use-state", "1").expect(200);
      await server.get("/missing").expect(404);
      const documents = await documentsAfterClose(middleware);

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
      expect(documents.map((d) => typeof d[LATENCY_METRIC.name])).toEqual(["number", "number", "number"]);
    });

    it("GIVEN a handler that takes 50 ms WHEN measured THEN the sample covers the handler time", async () => {
      // GIVEN
      const middleware = metrics({ mode: "request" });
      const { app, slow } = routedApp(middleware);
      const route = slow();
      void route.started.then(() => setTimeout(() => route.release(), 50));

      // WHEN
      await request(app.callback()).get("/slow").expect(200);
      const [document] = await documentsAfterClose(middleware);

      // THEN
      expect(document?.[LATENCY_METRIC.name]).toBeGreaterThanOrEqual(45);
    });
  });

  describe("Local environment", () => {
    it("GIVEN environment Local WHEN requests are served THEN EMF lines go to the output, not the agent", async () => {
      // GIVEN
      const output = new PassThrough();
      const chunks: string[] = [];
      output.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
      const middleware = metrics({ environment: "Local", output, mode: "request" });
      const { app } = routedApp(middleware);

      // WHEN
      await request(app.callback()).get("/items/1").expect(200);
      await middleware.close(1000);

      // THEN
      const lines = chunks.join("").split("\n").filter(Boolean);
      expect(parseValid(lines).map((d) => d[PATH])).toEqual(["/items/:id"]);
      expect(agent.connectionsAccepted).toBe(0);
    });
  });

  describe("counters", () => {
    it("GIVEN statsIntervalMs WHEN requests were measured THEN the counters are logged periodically", async () => {
      // GIVEN
      const { logger, records } = capturingLogger();
      const middleware = metrics({ logger, statsIntervalMs: 20, mode: "request" });
      const { app } = routedApp(middleware);

      // WHEN
      await request(app.callback()).get("/").expect(200);
      await eventually(
        () =>
          records.some((r) => r.msg === "latency metrics counters" && (r.emf as { sent: number }).sent === 1),
        "a counters record after the document was sent",
      );

      // THEN
      expect(
        records.find((r) => r.msg === "latency metrics counters" && (r.emf as { sent: number }).sent === 1),
      ).toMatchObject({
        level: 30,
        emf: {
          recorded: 1,
          sent: 1,
          buffered: 0,
          dropped: 0,
          documents: { sent: 1, buffered: 0, dropped: 0 },
        },
      });
    });
  });

  describe("setup", () => {
    it("GIVEN an invalid mode WHEN the middleware is created THEN it throws a TypeError naming mode and value", () => {
      // GIVEN
      const options = { mode: "sometimes" } as unknown as LatencyMetricsOptions;

      // WHEN / THEN
      expect(() => latencyMetrics(options)).toThrow(
        new TypeError(
          'latencyMetrics: invalid options:\n- mode "sometimes" is not valid; allowed: aggregate, request',
        ),
      );
    });

    it("GIVEN the middleware WHEN inspected THEN it is a named function with close and stats", () => {
      // GIVEN / WHEN
      const middleware = metrics();

      // THEN
      expect(middleware.name).toBe("latencyMetricsMiddleware");
      expect(middleware.stats()).toEqual(
        expect.objectContaining({ recorded: 0, sent: 0, buffered: 0, dropped: 0 }),
      );
    });
  });
});
