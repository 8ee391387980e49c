/**
 * Section 5: property-based bad input. The real `startServer` runs in this process (so its logger and
 * metrics can be read) with real PostgreSQL and latency metrics going to the fake agent; fast-check
 * generates requests that are written as raw bytes to a fresh loopback connection each, so nothing
 * normalizes them on the way: random and unknown methods, URLs with encoded garbage, `..`, unicode,
 * absolute form and 20 KB lengths, random header names and values (control characters included),
 * content types, and bodies that are random bytes, truncated or hostile JSON, item-shaped objects with
 * wrong fields, or larger than the body limit, framed exactly, short (the rest becomes a second
 * request) or chunked.
 *
 * Properties: a response always comes; it is never a 500, and a 5xx at all only as 501 for a method no
 * route implements (the database is up, so a 503 would be a failure too); no error reaches Koa's
 * `error` event ("unhandled application error"); the EMF the agent receives is valid and has at most
 * one `Path` per route template plus the contract's UNMATCHED_PATH.
 *
 * Not generated: CONNECT (Node's http.Server hands it to a 'connect' listener and, having none, closes
 * the socket without a response; the app never sees it), and `Content-Length` / `Transfer-Encoding` /
 * `Connection` as random headers (the framing is generated on purpose instead; a body that is announced
 * and never sent is a slow client, not malformed input).
 */
import * as net from "node:net";
import type Router from "@koa/router";
import fc from "fast-check";
import { createApp } from "../../app/app";
import { loadConfig } from "../../app/config";
import { Database } from "../../app/db";
import { createLogger } from "../../app/logger";
import { type LatencyMetricsMiddleware, latencyMetrics } from "../../app/metrics";
import { metricsOptions, type RunningServer, startServer } from "../../app/server";
import { UNMATCHED_PATH } from "../../contract/metrics";
import { FakeAgent } from "../support/fake-agent";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { tallyAgent } from "./support/agent-tally";
import { errorRow, recordRow, type SummaryRow } from "./support/summary";

const SCENARIO = "5 bad input, property-based (fast-check)";

/** Runs of the property over every part of the request, and of the one aimed at item writes. */
const RUNS_ANY = 1500;
const RUNS_ITEM_WRITES = 600;

/** A connection that has not answered and closed by then counts as "no response". */
const RESPONSE_TIMEOUT_MS = 5000;

/** Methods Node's parser knows; the routers implement GET, HEAD, POST, PUT, DELETE (and OPTIONS). */
const KNOWN_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "TRACE",
  "PROPFIND",
  "MKCOL",
  "LOCK",
  "SEARCH",
  "PURGE",
  "LINK",
  "QUERY",
];

/** Methods for which 501 Not Implemented is the accurate answer (no route has them). */
const UNIMPLEMENTED_OK = (method: string): boolean =>
  !["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"].includes(method);

/** Headers the framing controls (see the module comment). */
const FRAMING_HEADERS = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "host",
  "content-type",
]);

const percentGarbage = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).padStart(2, "0").toUpperCase()}`),
      fc.constantFrom(
        "%",
        "%G",
        "%E0%A4",
        "%C0%AF",
        "%00",
        "%ZZ",
        "%2e%2e",
        "%2F",
        "%5C",
        "%FF%FE",
        "%u0041",
      ),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(""));

const segment = fc.oneof(
  fc.webSegment(),
  fc.constantFrom(
    "..",
    ".",
    "",
    "items",
    "1",
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "99999999999",
    "1e3",
    "0x10",
    "1.5",
    "01",
    "null",
    "__proto__",
    "constructor",
    ":id",
  ),
  percentGarbage,
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary-ascii", maxLength: 12 }),
);

const veryLong = fc
  .tuple(
    fc.constantFrom("/", "/items/", "/items?limit="),
    fc.integer({ min: 2000, max: 20_000 }),
    fc.constantFrom("a", "%41", "é", "../", "9"),
  )
  .map(([prefix, length, unit]) => prefix + unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const path = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom("/", "/health", "/ready", "/items", "/items/1", "/items/2") },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom("/items/", "/", "/items/1/", "/ready/", "/health/", "/items/../items/"), segment)
      .map(([prefix, last]) => prefix + last),
  },
  { weight: 3, arbitrary: fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join("/")}`) },
  { weight: 1, arbitrary: veryLong },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "*",
      "http://evil.example/items",
      "http://127.0.0.1/items/1",
      "//items",
      "items",
      "/%",
      "/items/%",
      "/\\items",
      "/items;1",
      "/items/1#fragment",
      "/../../etc/passwd",
      "/items/%2e%2e/%2e%2e/",
    ),
  },
);

const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.webQueryParameters().map((q) => `?${q}`) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.constantFrom("limit", "offset", "x", "limit[]", "__proto__"),
          fc.oneof(fc.constantFrom("1", "0", "-1", "100", "101", "1e2", "", "2147483648"), percentGarbage),
        ),
        { maxLength: 4 },
      )
      .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`),
  },
);

const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "gzip",
      "br",
      "identity",
      "gzip, identity",
      "100-continue",
      "websocket",
      "h2c",
      "bytes=0-1",
      "a".repeat(9000),
    ),
  },
);

const headerName = fc
  .oneof(
    fc.constantFrom(
      "accept",
      "accept-encoding",
      "x-request-id",
      "content-encoding",
      "cookie",
      "authorization",
      "user-agent",
      "x-forwarded-for",
      "expect",
      "upgrade",
      "range",
      "if-none-match",
      "origin",
      "x-amzn-trace-id",
    ),
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,30}$/),
  )
  .filter((name) => !FRAMING_HEADERS.has(name.toLowerCase()));

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/json; charset=UTF-8",
      "application/json; charset=latin1",
      'application/json; charset="utf-8"',
      "application/problem+json",
      "application/vnd.api+json",
      "text/plain",
      "text/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "application/",
      "json",
      "*/*",
    ),
    headerValue,
  ),
  { nil: undefined },
);

const textField = (minLength: number, maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: "grapheme", minLength, maxLength }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("", " ", "\u0000", "a\u0000b", "\ud800", "🙂".repeat(maxLength + 1)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );

const itemLike = fc
  .tuple(
    fc.record({ name: textField(195, 205), description: textField(1995, 2005) }, { requiredKeys: [] }),
    fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), {
      nil: undefined,
    }),
  )
  .map(([item, extra]) => JSON.stringify({ ...item, ...extra }));

const body = fc.oneof(
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? "null")) },
  { weight: 4, arbitrary: itemLike.map((text) => Buffer.from(text)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(itemLike, fc.nat(), fc.constantFrom("", "}", ",", "\u0000", "\\", '"', "ÿ"))
      .map(([text, cut, tail]) => Buffer.from(text.slice(0, cut % (text.length + 1)) + tail)),
  },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 16 * 1024 - 16, max: 48 * 1024 }).map((size) => Buffer.alloc(size, "a")),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from('{"name":"a","name":"b"}'),
      Buffer.from('{"__proto__":{"name":"x"},"name":"y"}'),
      Buffer.from('{"constructor":{"prototype":{"x":1}}}'),
      Buffer.from(`{"name":${"[".repeat(5000)}`),
      Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      Buffer.from("[]"),
      Buffer.from("null"),
      Buffer.from('"name"'),
      Buffer.from(`{"name":"${"x".repeat(16 * 1024)}"}`),
    ),
  },
);

/** How the body is framed on the wire. */
type Framing = "exact" | "short" | "chunked" | "none";
const framing = fc.constantFrom<Framing>("exact", "exact", "exact", "short", "chunked", "none");

interface BadRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly contentType: string | undefined;
  readonly host: string | undefined;
  readonly body: Buffer;
  readonly framing: Framing;
  readonly shortBy: number;
  readonly chunkSize: number;
}

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_METHODS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,12}$/) },
);

const requestParts = {
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
  contentType,
  host: fc.option(fc.oneof(fc.constant("127.0.0.1"), fc.webAuthority(), headerValue), { nil: undefined }),
  body,
  framing,
  shortBy: fc.integer({ min: 1, max: 64 }),
  chunkSize: fc.integer({ min: 1, max: 4096 }),
};

/** Anything at all. */
const anyRequest: fc.Arbitrary<BadRequest> = fc.record({
  method: method.filter((m) => m.toUpperCase() !== "CONNECT"),
  target: fc.tuple(path, query).map(([p, q]) => p + q),
  ...requestParts,
});

/** Item writes: the requests most likely to reach the database with odd data. */
const itemWrite: fc.Arbitrary<BadRequest> = fc.record({
  method: fc.constantFrom("POST", "PUT", "PATCH"),
  target: fc.oneof(
    fc.constant("/items"),
    fc.constantFrom("1", "2", "0", "-1", "2147483648", "%31", "1%00", "..").map((id) => `/items/${id}`),
  ),
  ...requestParts,
  contentType: fc.option(
    fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain"),
    {
      nil: undefined,
    },
  ),
  body: fc.oneof(
    { weight: 4, arbitrary: itemLike.map((text) => Buffer.from(text)) },
    { weight: 1, arbitrary: body },
  ),
});

/** The bytes of a request: head in UTF-8 (non-ASCII on purpose), then the framed body. */
function encode(request: BadRequest): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`];
  if (request.host !== undefined) lines.push(`Host: ${request.host}`);
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (request.contentType !== undefined) lines.push(`Content-Type: ${request.contentType}`);
  lines.push("Connection: close");
  let payload = request.body;
  if (request.framing === "exact") lines.push(`Content-Length: ${payload.length}`);
  else if (request.framing === "short")
    lines.push(`Content-Length: ${Math.max(0, payload.length - request.shortBy)}`);
  else if (request.framing === "chunked") {
    lines.push("Transfer-Encoding: chunked");
    const chunks: Buffer[] = [];
    for (let at = 0; at < payload.length; at += request.chunkSize) {
      const chunk = payload.subarray(at, at + request.chunkSize);
      chunks.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
    }
    chunks.push(Buffer.from("0\r\n\r\n"));
    payload = Buffer.concat(chunks);
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8"), payload]);
}

interface RawResponse {
  /** Status of the first response, if one arrived. */
  readonly status: number | undefined;
  readonly timedOut: boolean;
  /** The start of what came back, for counterexamples. */
  readonly head: string;
}

/** Writes `bytes` to a new loopback connection and reads until the server closes it. */
function send(port: number, bytes: Buffer): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      // The first final response: an interim 100 Continue (Expect: 100-continue) comes before it.
      let status: number | undefined;
      for (let at = 0; at < text.length; ) {
        const match = /^HTTP\/1\.[01] (\d{3}) /.exec(text.slice(at));
        status = match ? Number(match[1]) : undefined;
        const end = text.indexOf("\r\n\r\n", at);
        if (status === undefined || status >= 200 || end === -1) break;
        at = end + 4;
      }
      resolve({ status, timedOut, head: text.slice(0, 300) });
    };
    const timer = setTimeout(() => finish(true), RESPONSE_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // The server may reset after answering (unread request bytes); what arrived before still counts.
    socket.on("error", () => finish(false));
    socket.on("close", () => finish(false));
    socket.on("connect", () => socket.write(bytes));
  });
}

/**
 * A log line showing an error that got past the app's error handler: Koa's 'error' event (which the
 * app logs as "unhandled application error"), a sample the metrics middleware failed to record, or a
 * request that ended as a 500.
 */
function escapedLine(line: Record<string, unknown>): boolean {
  return (
    line.msg === "unhandled application error" ||
    line.msg === "latency sample not recorded" ||
    (line.msg === "request failed" && Number(line.status) === 500)
  );
}

/** Route templates of the app, read from its routers (so the bound follows the routes). */
function routeTemplates(): Set<string> {
  const logger = createLogger({ level: "silent" });
  const app = createApp({ config: loadConfig({}), logger, db: new Database({ config: undefined, logger }) });
  const templates = new Set<string>();
  for (const middleware of app.middleware) {
    const router = (middleware as { router?: Router }).router;
    for (const layer of router?.stack ?? []) templates.add(String(layer.path));
  }
  return templates;
}

describe("bad input (fast-check, real startServer in process, real PostgreSQL)", () => {
  let postgres: TestPostgres;
  let agent: FakeAgent;
  let running: RunningServer | undefined;
  let metrics: LatencyMetricsMiddleware;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    postgres = await startPostgres();
    agent = await FakeAgent.start();
    const config = loadConfig({
      ...postgres.env,
      METRICS_MODE: "aggregate",
      AWS_EMF_AGENT_ENDPOINT: agent.endpoint,
      SHUTDOWN_TIMEOUT_MS: "10000",
    });
    // Warnings and errors only: what would show an escaped exception or a failed sample.
    const logger = createLogger({
      level: "warn",
      destination: { write: (line: string) => logLines.push(JSON.parse(line)) },
    });
    metrics = latencyMetrics({ ...metricsOptions(config, logger), statsIntervalMs: 0 });
    running = await startServer(config, { logger, metrics, host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await running?.shutdown("test cleanup");
    await agent?.stop();
    await postgres?.destroy();
  });

  it("GIVEN random malformed requests WHEN sent raw to the service THEN each gets a response, none is a 500, nothing escapes the middleware, and the EMF Path values stay within the routes", async () => {
    const port = Number(new URL((running as RunningServer).url).port);
    const statuses = new Map<string, number>();
    const escapedBy: string[] = [];
    let requests = 0;
    const check = async (request: BadRequest): Promise<void> => {
      requests++;
      const linesBefore = logLines.length;
      const response = await send(port, encode(request));
      // The service logs synchronously and has handled the connection by the time it closed, so a new
      // line belongs to this request; kept (not thrown) so the property keeps looking for 500s.
      if (logLines.slice(linesBefore).some(escapedLine)) {
        escapedBy.push(
          `${request.method} ${request.target.slice(0, 60)} (framing ${request.framing}, body ${request.body.length} B)`,
        );
      }
      const key = response.status === undefined ? "none" : String(response.status);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      const serverError =
        response.status !== undefined &&
        response.status >= 500 &&
        !(response.status === 501 && UNIMPLEMENTED_OK(request.method));
      if (response.status === undefined || serverError) {
        throw new Error(
          `${response.status === undefined ? `no response${response.timedOut ? " (timed out)" : ""}` : `status ${response.status}`} for ` +
            `${request.method} ${request.target.slice(0, 200)}; got: ${JSON.stringify(response.head)}`,
        );
      }
    };

    let row: SummaryRow | undefined;
    try {
      const anyRun = await fc.check(fc.asyncProperty(anyRequest, check), { numRuns: RUNS_ANY });
      const writeRun = await fc.check(fc.asyncProperty(itemWrite, check), { numRuns: RUNS_ITEM_WRITES });
      const recorded = metrics.stats().recorded;
      await (running as RunningServer).shutdown("SIGTERM");
      await agent.waitFor((a) => a.openConnections === 0, "the service's agent connection to close", 10_000);
      const stats = metrics.stats();
      const tally = tallyAgent(agent);
      const templates = routeTemplates();
      const allowedPaths = new Set([...templates, UNMATCHED_PATH]);
      const unexpectedPaths = [...tally.paths].filter((p) => !allowedPaths.has(p));
      const escaped = logLines.filter(escapedLine);
      const escapedFramings = new Map<string, number>();
      for (const example of escapedBy) {
        const key = /framing (\w+)/.exec(example)?.[1] ?? "?";
        escapedFramings.set(key, (escapedFramings.get(key) ?? 0) + 1);
      }
      const lost = stats.recorded - tally.samples - stats.dropped;
      const report = (details: fc.RunDetails<[BadRequest]>): string =>
        details.failed
          ? (fc.defaultReportMessage(details) ?? "failed").split("\n").slice(0, 6).join(" ")
          : "";
      const counterexamples = [report(anyRun), report(writeRun)].filter((text) => text !== "");
      // fast-check stops a property at its first failure (then shrinks it): one failing run per property.
      const failures = (anyRun.failed ? 1 : 0) + (writeRun.failed ? 1 : 0);
      row = {
        order: 5,
        scenario: SCENARIO,
        requests,
        failed: failures + escaped.length,
        p99Ms: null,
        p99Ratio: null,
        alive: null,
        recorded: stats.recorded,
        received: tally.samples,
        dropped: stats.dropped,
        lost,
        notes: [
          `${RUNS_ANY} + ${RUNS_ITEM_WRITES} runs (seeds ${anyRun.seed}, ${writeRun.seed})`,
          `statuses ${[...statuses]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([status, n]) => `${status}×${n}`)
            .join(" ")}`,
          `EMF Paths ${tally.paths.size} ≤ ${templates.size} routes + 1: ${[...tally.paths].sort().join(", ")}`,
          `recorded before shutdown ${recorded}`,
          escaped.length
            ? `"${String(escaped[0]?.msg)}" ×${escaped.length} (err logged as ${JSON.stringify(escaped[0]?.err).slice(0, 80)}), by framing ${[...escapedFramings].map(([k, n]) => `${k}×${n}`).join(" ")}, e.g. ${escapedBy[0]}`
            : "",
          ...counterexamples.map((text) => `counterexample: ${text.slice(0, 400)}`),
        ]
          .filter((note) => note !== "")
          .join("; "),
        targets: [
          {
            name: "response always, never a 500",
            pass: !anyRun.failed && !writeRun.failed,
            actual: `${failures} bad`,
          },
          {
            name: "no error reaches Koa's error event",
            pass: escaped.length === 0,
            actual: `${escaped.length} "unhandled application error" lines`,
          },
          {
            name: "Path values <= routes + 1",
            pass: tally.paths.size <= templates.size + 1 && unexpectedPaths.length === 0,
            actual: `${tally.paths.size} (${unexpectedPaths.length} unexpected)`,
          },
          {
            name: "valid EMF lines",
            pass: tally.invalidLines === 0,
            actual: `${tally.invalidLines} invalid`,
          },
          { name: "received + dropped == recorded", pass: lost === 0, actual: String(lost) },
        ],
      };

      expect(counterexamples).toEqual([]);
      expect(escapedBy).toEqual([]);
      expect(escaped).toEqual([]);
      expect(unexpectedPaths).toEqual([]);
      expect(tally.paths.size).toBeLessThanOrEqual(templates.size + 1);
      expect(tally.invalid).toEqual([]);
      expect(tally.samples + stats.dropped).toBe(stats.recorded);
    } catch (err) {
      row ??= errorRow(5, SCENARIO, err);
      throw err;
    } finally {
      if (row) recordRow(row);
    }
  });
});
