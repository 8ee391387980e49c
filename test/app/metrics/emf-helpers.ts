/** Helpers of the metrics tests: schema validation, sample counting, a small routed Koa app. */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Router from "@koa/router";
import Ajv from "ajv";
import Koa from "koa";
import pino, { type Logger } from "pino";
import type { LatencyMetricsMiddleware } from "../../../app/metrics";
import { DIMENSIONS, LATENCY_METRIC } from "../../../contract/metrics";

/** A parsed EMF document. */
export type EmfDocument = Record<string, unknown> & {
  _aws: { Timestamp: number; LogGroupName?: string; LogStreamName?: string; CloudWatchMetrics: unknown[] };
};

const schema = JSON.parse(readFileSync(join(__dirname, "..", "..", "fixtures", "emf-schema.json"), "utf8"));
const validate = new Ajv({ allErrors: true }).compile(schema);

/** Schema errors of one line (empty when valid), plus the checks the schema cannot express. */
export function emfProblems(line: string): string[] {
  const document = JSON.parse(line) as EmfDocument;
  const problems = validate(document)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  if (typeof document._aws?.LogGroupName !== "string" || document._aws.LogGroupName === "") {
    problems.push("_aws.LogGroupName missing");
  }
  const value = document[LATENCY_METRIC.name];
  if (Array.isArray(value) && value.length > 100) problems.push(`${value.length} values in one metric`);
  return problems;
}

/** Parses lines, failing on the first that is not a valid EMF latency document. */
export function parseValid(lines: readonly string[]): EmfDocument[] {
  const invalid = lines
    .map((line) => ({ line, problems: emfProblems(line) }))
    .filter((r) => r.problems.length);
  expect(invalid).toEqual([]);
  return lines.map((line) => JSON.parse(line) as EmfDocument);
}

/** The latency values of one document (a single value is a number in EMF). */
export function latencyValues(document: EmfDocument): number[] {
  const value = document[LATENCY_METRIC.name];
  return Array.isArray(value) ? (value as number[]) : [value as number];
}

/** Number of latency samples per `Path StatusClass` across documents. */
export function samplesByPathAndClass(documents: readonly EmfDocument[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const document of documents) {
    const key = `${String(document[DIMENSIONS.path])} ${String(document[DIMENSIONS.statusClass])}`;
    counts[key] = (counts[key] ?? 0) + latencyValues(document).length;
  }
  return counts;
}

/** Total latency samples across documents. */
export function totalSamples(documents: readonly EmfDocument[]): number {
  return documents.reduce((sum, document) => sum + latencyValues(document).length, 0);
}

/** A pino logger that keeps its records for assertions. */
export function capturingLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { logger, records };
}

/** Controls of the `/slow` route: it waits until `release()` is called. */
export interface SlowRoute {
  started: Promise<void>;
  release(): void;
}

/**
 * A Koa app shaped like the service: `/`, `/items/:id`, `/health`, plus `/boom` (plain throw),
 * `/teapot` (ctx.throw(418)), `/unavailable` (error with statusCode 503) and `/slow` (waits for the test).
 */
export function routedApp(
  metrics: LatencyMetricsMiddleware,
  before?: Koa.Middleware,
): { app: Koa; slow(): SlowRoute } {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  let slow: SlowRoute | undefined;
  let markStarted: () => void = () => undefined;
  let released: Promise<void> = Promise.resolve();
  router.get("/", (ctx) => {
    ctx.body = "ok";
  });
  router.get("/items/:id", (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.post("/items", (ctx) => {
    ctx.status = 201;
  });
  router.get("/health", (ctx) => {
    ctx.body = "healthy";
  });
  router.get("/boom", () => {
    throw new Error("boom");
  });
  router.get("/teapot", (ctx) => {
    ctx.throw(418, "short and stout");
  });
  router.get("/unavailable", () => {
    throw Object.assign(new Error("down"), { statusCode: 503 });
  });
  router.get("/slow", async (ctx) => {
    markStarted();
    await released;
    ctx.body = "late";
  });
  if (before) app.use(before);
  app.use(metrics);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return {
    app,
    slow(): SlowRoute {
      let release: () => void = () => undefined;
      released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const started = new Promise<void>((resolve) => {
        markStarted = resolve;
      });
      slow = { started, release };
      return slow;
    },
  };
}

/** An HTTP server on an ephemeral loopback port. */
export async function listen(app: Koa): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `condition` every 10 ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
