import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type Koa from "koa";
import type { Logger } from "pino";
import request from "supertest";
import { createApp } from "../../app/app";
import { type AppConfig, loadConfig } from "../../app/config";
import { Database } from "../../app/db";
import { version } from "../../package.json";
import { reservePort } from "../support/fake-agent";
import { captureLogger, type LogLine } from "../support/log-capture";

/** The access log is written when the response closes, just after supertest sees the response. */
async function waitForLine(lines: LogLine[], predicate: (line: LogLine) => boolean): Promise<LogLine> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = lines.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line matched; got ${JSON.stringify(lines)}`);
}

/** A database whose queries fail the way a bug would, to exercise the unexpected-error path. */
class BrokenDatabase extends Database {
  override async query(): Promise<never> {
    throw new Error("relation internal_secret_table is corrupt");
  }
}

interface Observed {
  status: number;
  route: unknown;
  threw: boolean;
}

/** Stands in for the latency middleware: records what an outermost middleware observes. */
function observingMetrics(observed: Observed[]): Koa.Middleware {
  return async function observingMetricsMiddleware(ctx, next) {
    let threw = false;
    try {
      await next();
    } catch (err) {
      threw = true;
      throw err;
    } finally {
      observed.push({ status: ctx.status, route: (ctx as { _matchedRoute?: unknown })._matchedRoute, threw });
    }
  };
}

/** The app on a loopback port, for requests that only a raw socket can send. */
async function listenOnLoopback(
  app: Koa,
): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes `bytes` on a new loopback connection and resolves with what came back once the server closed
 * it. With `resetOnRequest`, the client resets the connection once the server has the request.
 */
function sendRaw(
  port: number,
  bytes: string,
  resetOnRequest?: Promise<unknown>,
): Promise<{ received: string; error: string | undefined }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    let received = "";
    let error: string | undefined;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      error = err.code;
    });
    socket.on("close", () => resolve({ received, error }));
    void resetOnRequest?.then(() => socket.resetAndDestroy());
  });
}

/** A log line without pino's base fields (time, pid, hostname). */
function withoutBase({ time: _time, pid: _pid, hostname: _hostname, ...rest }: LogLine): LogLine {
  return rest;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("createApp without a database", () => {
  const config: AppConfig = loadConfig({ ENV_TYPE: "test-env" });
  const { logger } = captureLogger();
  const db = new Database({ config: undefined, logger });
  const app = createApp({ config, logger, db });

  afterAll(async () => {
    await db.close();
  });

  it("GIVEN the service WHEN GET / THEN it answers its name, package version and environment", async () => {
    const response = await request(app.callback()).get("/");

    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.body).toEqual({ service: "koaapp", version, environment: "test-env" });
  });

  it("GIVEN the service WHEN GET /health THEN it is live", async () => {
    const response = await request(app.callback()).get("/health");

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok" });
  });

  it("GIVEN no database configured WHEN GET /ready THEN it is ready and says the database is not configured", async () => {
    const response = await request(app.callback()).get("/ready");

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ready", database: "not-configured" });
  });

  it("GIVEN no database configured WHEN GET /items THEN 503 with a JSON error", async () => {
    const response = await request(app.callback()).get("/items").set("x-request-id", "req-503");

    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      status: 503,
      error: "Service Unavailable",
      message: "Service Unavailable",
      requestId: "req-503",
    });
  });

  it("GIVEN no database configured WHEN POST /items with a valid body THEN 503, not a crash", async () => {
    const response = await request(app.callback()).post("/items").send({ name: "widget" });

    expect(response.status).toBe(503);
    expect(response.body.error).toBe("Service Unavailable");
  });

  it("GIVEN an unknown URL WHEN requested THEN 404 with a JSON error", async () => {
    const response = await request(app.callback()).get("/nope");

    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      status: 404,
      error: "Not Found",
      message: "Not Found",
      requestId: response.headers["x-request-id"],
    });
  });

  it("GIVEN a known path WHEN requested with an unsupported method THEN 405 with Allow and a JSON error", async () => {
    const response = await request(app.callback()).delete("/health");

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("HEAD, GET");
    expect(response.body.error).toBe("Method Not Allowed");
  });

  it("GIVEN an item path WHEN requested with PATCH THEN 405 lists the item methods", async () => {
    const response = await request(app.callback()).patch("/items/1").send({ name: "x" });

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("HEAD, GET, PUT, DELETE");
  });
});

describe("request ids and the access log", () => {
  const config = loadConfig({});
  const { logger, lines } = captureLogger();
  const db = new Database({ config: undefined, logger });
  const app = createApp({ config, logger, db });

  afterAll(async () => {
    await db.close();
  });

  it("GIVEN no x-request-id WHEN a request is served THEN a UUID is generated and returned", async () => {
    const response = await request(app.callback()).get("/health");

    expect(response.headers["x-request-id"]).toMatch(UUID);
  });

  it("GIVEN a sane x-request-id WHEN a request is served THEN it is echoed back", async () => {
    const response = await request(app.callback()).get("/health").set("x-request-id", "abc_DEF-42.x:y");

    expect(response.headers["x-request-id"]).toBe("abc_DEF-42.x:y");
  });

  it.each([
    ["too long", "a".repeat(129)],
    ["with spaces", "id with spaces"],
    ["with a quote", 'id"injected'],
  ])("GIVEN an x-request-id %s WHEN a request is served THEN a fresh UUID replaces it", async (_, id) => {
    const response = await request(app.callback()).get("/health").set("x-request-id", id);

    expect(response.headers["x-request-id"]).toMatch(UUID);
  });

  it("GIVEN a 128-character token WHEN a request is served THEN it is kept", async () => {
    const id = "b".repeat(128);

    const response = await request(app.callback()).get("/health").set("x-request-id", id);

    expect(response.headers["x-request-id"]).toBe(id);
  });

  it("GIVEN a request with credentials WHEN served THEN exactly one access line is logged, without them", async () => {
    await request(app.callback())
      .get("/items/abc")
      .set("x-request-id", "access-log-1")
      .set("authorization", "Bearer token-must-not-leak")
      .set("cookie", "session=cookie-must-not-leak");

    const line = await waitForLine(lines, (l) => l.reqId === "access-log-1" && l.msg === "request completed");
    expect(line).toMatchObject({
      level: 30,
      method: "GET",
      url: "/items/abc",
      route: "/items/:id",
      status: 400,
      aborted: false,
    });
    expect(typeof line.durationMs).toBe("number");
    expect(lines.filter((l) => l.reqId === "access-log-1" && l.msg === "request completed")).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toMatch(/must-not-leak/);
  });
});

describe("error handling", () => {
  it("GIVEN an unexpected error in a route WHEN requested THEN 500 without details, and the log has them with the request id", async () => {
    const config = loadConfig({});
    const { logger, lines } = captureLogger();
    const db = new BrokenDatabase({ config: undefined, logger });
    const app = createApp({ config, logger, db });

    const response = await request(app.callback()).get("/items").set("x-request-id", "boom-1");

    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      status: 500,
      error: "Internal Server Error",
      message: "Internal Server Error",
      requestId: "boom-1",
    });
    expect(response.text).not.toContain("internal_secret_table");
    const failure = await waitForLine(lines, (l) => l.msg === "request failed");
    expect(failure).toMatchObject({ level: 50, reqId: "boom-1", status: 500 });
    expect((failure.err as { message: string }).message).toBe("relation internal_secret_table is corrupt");
  });

  it("GIVEN the database is unreachable WHEN GET /ready and GET /items THEN both 503, while / and /health stay 200", async () => {
    const port = await reservePort();
    const config = loadConfig({
      RDS_HOSTNAME: "127.0.0.1",
      RDS_PORT: String(port),
      RDS_DB_NAME: "app",
      RDS_USERNAME: "app",
      RDS_PASSWORD: "unused",
    });
    const { logger, lines } = captureLogger();
    // A generous connect timeout: the refusal must be what fails the request, not the 2-s timeout firing first on a
    // machine busy with the other test files' terraform runs.
    const db = new Database({ config: config.database, logger, connectTimeoutMs: 30_000 });
    const app = createApp({ config, logger, db });

    try {
      const [ready, items, root, health] = await Promise.all([
        request(app.callback()).get("/ready"),
        request(app.callback()).get("/items").set("x-request-id", "db-down-1"),
        request(app.callback()).get("/"),
        request(app.callback()).get("/health"),
      ]);

      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: "unavailable", database: "unavailable" });
      expect(items.status).toBe(503);
      expect(items.body.error).toBe("Service Unavailable");
      expect(root.status).toBe(200);
      expect(health.status).toBe(200);
      const failure = await waitForLine(lines, (l) => l.msg === "request failed" && l.reqId === "db-down-1");
      expect(failure).toMatchObject({ level: 40, status: 503, err: { type: "DatabaseUnavailableError" } });
      expect((failure.err as { message: string }).message).toMatch(/ECONNREFUSED/);
    } finally {
      await db.close();
    }
  });
});

describe("errors that reach Koa's error event", () => {
  const config = loadConfig({});
  let lines: LogLine[];
  let logger: Logger;
  let db: Database;

  beforeEach(() => {
    ({ logger, lines } = captureLogger());
    db = new Database({ config: undefined, logger });
  });

  afterEach(async () => {
    await db.close();
  });

  /** What Node writes itself when its parser rejects a request. */
  const NODE_BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

  it.each([
    [
      "a PUT with a body and no Content-Length on a Connection: close request",
      "PUT / HTTP/1.1\r\nHost: localhost\r\nx-request-id: client-error-1\r\nConnection: close\r\n\r\nhello",
      {
        reqId: "client-error-1",
        code: "HPE_CLOSED_CONNECTION",
        reason: "Parse Error: Data after `Connection: close`",
        method: "PUT",
        url: "/",
      },
    ],
    [
      "a chunked body with an invalid chunk size",
      "POST /items HTTP/1.1\r\nHost: localhost\r\nx-request-id: client-error-2\r\n" +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      {
        reqId: "client-error-2",
        code: "HPE_INVALID_CHUNK_SIZE",
        reason: "Parse Error: Invalid character in chunk size",
        method: "POST",
        url: "/items",
      },
    ],
    [
      "a request followed by bytes that are not a request",
      "GET /health HTTP/1.1\r\nHost: localhost\r\nx-request-id: client-error-3\r\n\r\n\u0001garbage\r\n\r\n",
      {
        reqId: "client-error-3",
        code: "HPE_INVALID_METHOD",
        reason: "Parse Error: Invalid method encountered",
        method: "GET",
        url: "/health",
      },
    ],
  ])(
    "GIVEN %s WHEN sent on a raw socket THEN Node answers 400 and the app logs a client connection error at info, nothing at warn or above",
    async (_, bytes, expected) => {
      const app = createApp({ config, logger, db });
      const listening = await listenOnLoopback(app);

      try {
        const { received } = await sendRaw(listening.port, bytes);

        expect(received).toBe(NODE_BAD_REQUEST);
        const line = await waitForLine(lines, (l) => l.msg === "client connection error");
        expect(withoutBase(line)).toEqual({ level: 30, ...expected, msg: "client connection error" });
        const access = await waitForLine(lines, (l) => l.msg === "request completed");
        expect(access).toMatchObject({ reqId: expected.reqId, aborted: true });
        expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
      } finally {
        await listening.close();
      }
    },
  );

  it("GIVEN a client that resets the connection while sending its body WHEN the app is reading it THEN a client connection error at info, nothing at warn or above", async () => {
    const app = createApp({ config, logger, db });
    const listening = await listenOnLoopback(app);
    const arrived = new Promise((resolve) => listening.server.once("request", resolve));

    try {
      await sendRaw(
        listening.port,
        "POST /items HTTP/1.1\r\nHost: localhost\r\nx-request-id: client-reset-1\r\n" +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
        arrived,
      );

      const line = await waitForLine(lines, (l) => l.msg === "client connection error");
      expect(withoutBase(line)).toEqual({
        level: 30,
        reqId: "client-reset-1",
        code: "ECONNRESET",
        reason: "read ECONNRESET",
        method: "POST",
        url: "/items",
        msg: "client connection error",
      });
      expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
    } finally {
      await listening.close();
    }
  });

  it("GIVEN a metrics middleware that throws an error carrying a Buffer WHEN a request is served THEN 500 and an error-level line with the err serialized, without the Buffer", async () => {
    const metrics: Koa.Middleware = async function failingMetricsMiddleware(_ctx, next) {
      await next();
      throw Object.assign(new Error("latency sample not encodable"), {
        code: "ESAMPLE",
        sample: Buffer.from("sample bytes"),
      });
    };
    const app = createApp({ config, logger, db, metrics });

    const response = await request(app.callback()).get("/health").set("x-request-id", "app-error-1");

    expect(response.status).toBe(500);
    expect(response.text).toBe("Internal Server Error");
    const line = await waitForLine(lines, (l) => l.msg === "unhandled application error");
    expect(withoutBase(line)).toEqual({
      level: 50,
      reqId: "app-error-1",
      err: {
        type: "Error",
        message: "latency sample not encodable",
        stack: expect.stringMatching(/^Error: latency sample not encodable\n\s+at /),
        code: "ESAMPLE",
      },
      msg: "unhandled application error",
    });
    expect(lines.filter((l) => l.msg === "client connection error")).toEqual([]);
  });

  it("GIVEN an ECONNRESET from the app's own connection WHEN the client's connection is fine THEN it is logged as an application error", async () => {
    const metrics: Koa.Middleware = async function agentResetMiddleware(_ctx, next) {
      await next();
      throw Object.assign(new Error("write ECONNRESET"), { code: "ECONNRESET" });
    };
    const app = createApp({ config, logger, db, metrics });

    const response = await request(app.callback()).get("/health").set("x-request-id", "app-error-2");

    expect(response.status).toBe(500);
    const line = await waitForLine(lines, (l) => l.msg === "unhandled application error");
    expect(line).toMatchObject({
      level: 50,
      reqId: "app-error-2",
      err: { type: "Error", message: "write ECONNRESET", code: "ECONNRESET" },
    });
    expect(lines.filter((l) => l.msg === "client connection error")).toEqual([]);
  });

  it("GIVEN a route that fails after sending its headers WHEN requested THEN the connection is cut rather than left open, and the error is logged at error level", async () => {
    const app = createApp({ config, logger, db });
    app.use(async function partialResponse(ctx) {
      ctx.status = 200;
      ctx.type = "json";
      ctx.res.flushHeaders();
      ctx.res.write('{"items":[');
      throw new Error("item stream failed");
    });
    const listening = await listenOnLoopback(app);

    try {
      const outcome = await new Promise<{ status: number | undefined; body: string; complete: boolean }>(
        (resolve, reject) => {
          http
            .get(
              `http://127.0.0.1:${listening.port}/partial`,
              { headers: { "x-request-id": "app-error-3" } },
              (res) => {
                let body = "";
                res.on("data", (chunk) => {
                  body += chunk;
                });
                // The cut is the expected outcome; `close` with `complete: false` reports it.
                res.on("error", () => {});
                res.on("close", () => resolve({ status: res.statusCode, body, complete: res.complete }));
              },
            )
            .on("error", reject);
        },
      );

      expect(outcome).toEqual({ status: 200, body: '{"items":[', complete: false });
      const line = await waitForLine(lines, (l) => l.msg === "unhandled application error");
      expect(withoutBase(line)).toEqual({
        level: 50,
        reqId: "app-error-3",
        err: {
          type: "Error",
          message: "item stream failed",
          stack: expect.stringMatching(/^Error: item stream failed\n\s+at /),
          headerSent: true,
        },
        msg: "unhandled application error",
      });
      const access = await waitForLine(lines, (l) => l.msg === "request completed");
      expect(access).toMatchObject({ reqId: "app-error-3", status: 200, aborted: true });
    } finally {
      await listening.close();
    }
  });
});

describe("metrics middleware placement", () => {
  const config = loadConfig({});
  const { logger } = captureLogger();
  const observed: Observed[] = [];
  const db = new Database({ config: undefined, logger });
  const app = createApp({ config, logger, db, metrics: observingMetrics(observed) });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(() => {
    observed.length = 0;
  });

  it.each([
    ["GET", "/", undefined, 200, "/"],
    ["GET", "/health", undefined, 200, "/health"],
    ["GET", "/items/abc", undefined, 400, "/items/:id"],
    ["POST", "/items", "{not json", 400, "/items"],
    ["GET", "/items", undefined, 503, "/items"],
    ["GET", "/missing", undefined, 404, undefined],
  ])(
    "GIVEN %s %s WHEN served THEN the outermost middleware sees the client's status %#, without a throw",
    async (method, path, body, status, route) => {
      let call = request(app.callback())[method === "GET" ? "get" : "post"](path);
      if (body !== undefined) call = call.set("content-type", "application/json").send(body);

      const response = await call;

      expect(response.status).toBe(status);
      expect(observed).toEqual([{ status, route, threw: false }]);
    },
  );

  it("GIVEN a route error WHEN served THEN the response still carries the request id header", async () => {
    const response = await request(app.callback()).get("/items").set("x-request-id", "metrics-1");

    expect(response.status).toBe(503);
    expect(response.headers["x-request-id"]).toBe("metrics-1");
  });
});
