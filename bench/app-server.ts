/**
 * The server child of `bench/app.bench.ts`: a small Koa app shaped like the service (`/`, `/items/:id`
 * over an in-memory map) measured by one variant, driven over IPC:
 *
 * - sends `{ type: "ready", port }` once listening;
 * - on `{ type: "start" }` notes CPU time and the request count, answers `{ type: "started" }`;
 * - on `{ type: "stop" }` answers `{ type: "stopped", cpuMicros, requests, totalRequests }` for the window,
 *   after closing the metrics middleware (flushing it), then exits.
 *
 * With the variant `interleaved` the child builds every variant behind one dispatcher and also accepts
 * `{ type: "switch", variant }` (answered `{ type: "switched" }`) and `{ type: "sample" }` (answered
 * `{ type: "sampled", cpuMicros, requests }` since the last `start`), so the bench can alternate variants
 * every fraction of a second inside one process under one continuous load.
 *
 * Usage (by the bench only): node --require ./scripts/register-ts.cjs bench/app-server.ts <variant|interleaved> <agent endpoint>
 * For the `seed` variant the parent sets AWS_EMF_AGENT_ENDPOINT and AWS_EMF_ENVIRONMENT=Agent.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import Router from "@koa/router";
import Koa from "koa";
import pino from "pino";
import {
  DEFAULT_NAMESPACE,
  DIMENSIONS,
  LATENCY_METRIC,
  PROPERTIES,
  UNMATCHED_PATH,
} from "../contract/metrics";

/**
 * The variants the bench compares; aggregate and prom-client run next to each other in every round, so
 * their paired comparison sees the same machine. `floor` is what any middleware with the same
 * semantics pays before doing anything: an async middleware that reads the clock, waits for the
 * response's 'close' and reads the clock again, recording nothing.
 */
export const VARIANTS = ["off", "floor", "aggregate", "prom", "request", "seed"] as const;

/** One variant's name. */
export type Variant = (typeof VARIANTS)[number];

/** Messages from the child to the bench. */
export type ChildMessage =
  | { type: "ready"; port: number }
  | { type: "started" }
  | { type: "switched" }
  | { type: "sampled"; cpuMicros: number; requests: number }
  | { type: "stopped"; cpuMicros: number; requests: number; totalRequests: number };

/** Messages from the bench to the child. */
export type ParentMessage =
  | { type: "start" }
  | { type: "sample" }
  | { type: "switch"; variant: Variant }
  | { type: "stop" };

interface Measured {
  middleware: Koa.Middleware | undefined;
  close(): Promise<void>;
}

type Routed = Koa.Context & { _matchedRoute?: string | RegExp };

/** The seed's pattern: metricScope per request with the library's agent sink. */
function seedMiddleware(): Measured {
  // Loaded here: the library reads its environment variables when it is first imported.
  const { metricScope, Unit } = require("aws-embedded-metrics") as typeof import("aws-embedded-metrics");
  const middleware = metricScope((metrics) => async (ctx: Routed, next: Koa.Next) => {
    const start = Date.now();
    await next();
    metrics.putDimensions({ [DIMENSIONS.path]: String(ctx._matchedRoute ?? ctx.path) });
    metrics.putMetric(LATENCY_METRIC.name, Date.now() - start, Unit.Milliseconds);
    metrics.setProperty(PROPERTIES.method, ctx.method);
    metrics.setProperty(DIMENSIONS.path, ctx.path);
    metrics.setNamespace(DEFAULT_NAMESPACE);
    metrics.setTimestamp(new Date());
  });
  return { middleware: middleware as unknown as Koa.Middleware, close: async () => undefined };
}

/** The floor: the latency middleware's skeleton (clock, 'close' listener, rethrow) without its work. */
function floorMiddleware(): Measured {
  let total = 0;
  const middleware: Koa.Middleware = async function floor(ctx, next) {
    const startMs = performance.now();
    let errorStatus = 0;
    ctx.res.on("close", () => {
      total += performance.now() - startMs + errorStatus;
    });
    try {
      await next();
    } catch (error) {
      errorStatus = 500;
      throw error;
    }
  };
  // Read at close so that the work is not optimised away.
  return { middleware, close: async () => void (total > 0) };
}

/** A prom-client histogram per method, route and status, as commonly written for Koa. */
function promMiddleware(): Measured {
  const { Histogram, Registry } = require("prom-client") as typeof import("prom-client");
  const registry = new Registry();
  const histogram = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency",
    labelNames: ["method", "route", "status_code"],
    registers: [registry],
  });
  const middleware: Koa.Middleware = async (ctx, next) => {
    const end = histogram.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as Routed)._matchedRoute;
      end({
        method: ctx.method,
        route: route === undefined ? UNMATCHED_PATH : String(route),
        status_code: ctx.status,
      });
    }
  };
  return { middleware, close: async () => undefined };
}

function measured(variant: Variant, endpoint: string): Measured {
  switch (variant) {
    case "off":
      return { middleware: undefined, close: async () => undefined };
    case "aggregate":
    case "request": {
      const { latencyMetrics } = require("../app/metrics") as typeof import("../app/metrics");
      const metrics = latencyMetrics({
        mode: variant,
        endpoint,
        statsIntervalMs: 0,
        logger: pino({ level: "warn" }, pino.destination(2)),
      });
      return { middleware: metrics, close: () => metrics.close(5000) };
    }
    case "seed":
      return seedMiddleware();
    case "prom":
      return promMiddleware();
    case "floor":
      return floorMiddleware();
  }
}

function createBenchApp(middleware: Koa.Middleware | undefined): Koa {
  const items = new Map<string, { id: string; name: string; price: number }>();
  for (let i = 0; i < 100; i++) items.set(String(i), { id: String(i), name: `item ${i}`, price: i * 1.5 });
  const app = new Koa();
  const router = new Router();
  router.get("/", (ctx) => {
    ctx.body = { service: "bench" };
  });
  router.get("/items/:id", (ctx) => {
    const item = items.get(ctx.params.id ?? "");
    if (!item) ctx.throw(404, "no such item");
    ctx.body = item;
  });
  if (middleware) app.use(middleware);
  app.use(router.routes());
  return app;
}

/** Every variant behind one dispatcher; `switchTo` picks the one requests go through. */
function interleaved(endpoint: string): Measured & { switchTo(variant: Variant): void } {
  const all = new Map(VARIANTS.map((variant) => [variant, measured(variant, endpoint)]));
  let current: Koa.Middleware | undefined;
  const dispatch: Koa.Middleware = (ctx, next) => (current ? current(ctx, next) : next());
  return {
    middleware: dispatch,
    close: async () => {
      await Promise.all([...all.values()].map((variant) => variant.close()));
    },
    switchTo: (variant) => {
      current = all.get(variant)?.middleware;
    },
  };
}

async function main(): Promise<void> {
  const variant = process.argv[2] as Variant | "interleaved";
  const endpoint = process.argv[3] ?? "";
  if ((variant !== "interleaved" && !VARIANTS.includes(variant)) || !process.send)
    throw new Error("app-server: run by bench/app.bench.ts only");
  const send = (message: ChildMessage): void => {
    process.send?.(message);
  };
  const mixed = variant === "interleaved" ? interleaved(endpoint) : undefined;
  const metrics = mixed ?? measured(variant as Variant, endpoint);
  const server = http.createServer(createBenchApp(metrics.middleware).callback());
  server.keepAliveTimeout = 65_000;
  let served = 0;
  server.on("request", () => {
    served++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let cpuAtStart = process.cpuUsage();
  let servedAtStart = 0;
  process.on("message", (message: ParentMessage) => {
    if (message.type === "start") {
      cpuAtStart = process.cpuUsage();
      servedAtStart = served;
      send({ type: "started" });
      return;
    }
    if (message.type === "switch") {
      mixed?.switchTo(message.variant);
      send({ type: "switched" });
      return;
    }
    if (message.type === "sample") {
      const cpu = process.cpuUsage(cpuAtStart);
      send({ type: "sampled", cpuMicros: cpu.user + cpu.system, requests: served - servedAtStart });
      return;
    }
    const cpu = process.cpuUsage(cpuAtStart);
    const requests = served - servedAtStart;
    void metrics.close().then(() => {
      server.closeAllConnections();
      server.close();
      // Exits even if a variant (the seed's library sink) keeps a socket open.
      process.send?.(
        { type: "stopped", cpuMicros: cpu.user + cpu.system, requests, totalRequests: served },
        () => process.exit(0),
      );
    });
  });
  send({ type: "ready", port: (server.address() as AddressInfo).port });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
