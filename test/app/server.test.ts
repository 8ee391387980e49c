import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type Koa from "koa";
import { loadConfig } from "../../app/config";
import { Database } from "../../app/db";
import type { LatencyMetricsMiddleware } from "../../app/metrics";
import { metricsOptions, type RunningServer, startServer } from "../../app/server";
import { DEFAULT_NAMESPACE, DIMENSIONS, LATENCY_METRIC } from "../../contract/metrics";
import { reservePort } from "../support/fake-agent";
import { FakeClock } from "../support/fake-clock";
import { captureLogger, type LogLine } from "../support/log-capture";
import { startPostgres, type TestPostgres } from "../support/postgres";
import { TYPESCRIPT_EXEC_ARGV } from "../support/typescript";

const ROOT = path.resolve(__dirname, "../..");

interface MetricsDouble {
  middleware: LatencyMetricsMiddleware;
  /** The timeout of each close() call, in order. */
  closeTimeouts: (number | undefined)[];
}

/** Stands in for the latency middleware where only its shutdown contract matters; close() adds to `events`. */
function metricsDouble(events: string[] = []): MetricsDouble {
  const closeTimeouts: MetricsDouble["closeTimeouts"] = [];
  const middleware = Object.assign(
    async function metricsDoubleMiddleware(_ctx: Koa.Context, next: Koa.Next) {
      await next();
    },
    {
      async close(timeoutMs?: number) {
        closeTimeouts.push(timeoutMs);
        events.push("metrics closed");
      },
      stats(): never {
        throw new Error("the server does not read metrics stats");
      },
    },
  );
  return { middleware, closeTimeouts };
}

/** Resolves when the next request reaches `server`; its response's end adds "response finished" to `events`. */
function nextRequest(server: http.Server, events: string[]): Promise<void> {
  return new Promise((resolve) =>
    server.once("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.once("finish", () => events.push("response finished"));
      resolve();
    }),
  );
}

/** A POST /items whose JSON body is sent in two parts: the first now, the rest on `finish()`. */
function slowPost(
  url: string,
  agent: http.Agent | false,
): {
  response: Promise<{ status: number; connection: string | undefined; body: { name?: string } }>;
  finish: () => void;
} {
  const req = http.request(`${url}/items`, {
    method: "POST",
    agent,
    headers: { "content-type": "application/json", "content-length": "24" },
  });
  const response = new Promise<{ status: number; connection: string | undefined; body: { name?: string } }>(
    (resolve, reject) => {
      req.on("response", (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            body: JSON.parse(text),
          });
        });
      });
      req.on("error", reject);
    },
  );
  req.write('{"name":"in-');
  return { response, finish: () => req.end('flight-one"}') };
}

function get(
  url: string,
  agent?: http.Agent,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      })
      .on("error", reject);
  });
}

describe("metricsOptions", () => {
  const { logger } = captureLogger("info");

  it("GIVEN no EMF variables WHEN mapped THEN the middleware gets the mode, the logger and the contract's namespace as AWS_EMF_NAMESPACE", () => {
    const options = metricsOptions(loadConfig({}), logger);

    expect(options).toEqual({ mode: "aggregate", logger, env: { AWS_EMF_NAMESPACE: DEFAULT_NAMESPACE } });
  });

  it("GIVEN every EMF variable WHEN mapped THEN the middleware gets them as they were set, to read itself", () => {
    const env = {
      AWS_EMF_AGENT_ENDPOINT: "udp://10.0.0.9:25888",
      AWS_EMF_NAMESPACE: "shop",
      AWS_EMF_LOG_GROUP_NAME: "/ecs/shop",
      AWS_EMF_LOG_STREAM_NAME: "stream-1",
      AWS_EMF_SERVICE_NAME: "shop-api",
      AWS_EMF_SERVICE_TYPE: "AWS::ECS::Container",
      AWS_EMF_ENVIRONMENT: "Local",
    };
    const config = loadConfig({ METRICS_MODE: "request", ...env, UNRELATED: "x" });

    expect(metricsOptions(config, logger)).toEqual({ mode: "request", logger, env });
  });
});

describe("startServer graceful shutdown", () => {
  let postgres: TestPostgres;
  let running: RunningServer | undefined;

  beforeAll(async () => {
    postgres = await startPostgres();
  });

  afterEach(async () => {
    await running?.shutdown("test cleanup");
    running = undefined;
  });

  afterAll(async () => {
    await postgres?.destroy();
  });

  it("GIVEN a slow in-flight request and an idle keep-alive connection WHEN SIGTERM THEN the request completes, metrics are flushed after it with the whole deadline left, and shutdown resolves 0 with no timer left", async () => {
    // GIVEN a server on a fake clock, an idle keep-alive connection and a request whose body is half sent
    const { logger, lines } = captureLogger("info");
    const clock = new FakeClock();
    const config = loadConfig({ ...postgres.env, SHUTDOWN_TIMEOUT_MS: "5000" });
    const db = new Database({ config: config.database, logger });
    const events: string[] = [];
    const metrics = metricsDouble(events);
    running = await startServer(config, {
      logger,
      db,
      metrics: metrics.middleware,
      host: "127.0.0.1",
      port: 0,
      clock,
    });
    const { server, url } = running;
    const keepAlive = new http.Agent({ keepAlive: true });
    expect((await get(`${url}/health`, keepAlive)).status).toBe(200);
    const arrived = nextRequest(server, events);
    const slow = slowPost(url, false);
    await arrived;

    // WHEN SIGTERM arrives, then the rest of the body
    const shutdown = running.shutdown("SIGTERM");
    const refused = await get(`${url}/health`).catch((err: NodeJS.ErrnoException) => err.code);
    slow.finish();
    const response = await slow.response;
    const code = await shutdown;

    // THEN new connections were refused, the request completed and told its client to go, and everything closed
    // in order without the clock moving: the deadline never fired, and neither it nor the sweep is left
    expect(refused).toBe("ECONNREFUSED");
    expect(response).toEqual({
      status: 201,
      connection: "close",
      body: expect.objectContaining({ name: "in-flight-one" }),
    });
    expect(code).toBe(0);
    expect(events).toEqual(["response finished", "metrics closed"]);
    expect(metrics.closeTimeouts).toEqual([5000]);
    expect(clock.pending().timers).toBe(0);
    expect(server.listening).toBe(false);
    await expect(db.query("SELECT 1")).rejects.toThrow("the database connection is closed");
    expect(lines.filter((line) => line.msg === "shutting down" || line.msg === "shutdown complete")).toEqual([
      expect.objectContaining({ signal: "SIGTERM", timeoutMs: 5000 }),
      expect.objectContaining({ signal: "SIGTERM" }),
    ]);
    keepAlive.destroy();
  });

  it("GIVEN a keep-alive request that finishes while draining WHEN its connection turns idle THEN the next sweep closes it and only then does shutdown resolve", async () => {
    // GIVEN a request in flight on a keep-alive connection when SIGTERM arrives
    const { logger } = captureLogger("info");
    const clock = new FakeClock();
    running = await startServer(loadConfig({ SHUTDOWN_TIMEOUT_MS: "5000" }), {
      logger,
      metrics: null,
      host: "127.0.0.1",
      port: 0,
      clock,
    });
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const arrived = nextRequest(running.server, []);
    const slow = slowPost(running.url, keepAlive);
    await arrived;
    const shutdown = running.shutdown("SIGTERM");
    let settled = false;
    void shutdown.then(() => {
      settled = true;
    });
    slow.finish();
    // Node does not close a connection that turns idle after server.close(): it stays open on keep-alive.
    expect((await slow.response).connection).toBe("keep-alive");
    await clock.advance(99);
    expect(settled).toBe(false);

    // WHEN the sweep runs
    await clock.advance(1);

    // THEN the idle connection is closed, the server with it, and shutdown resolves 0 before the deadline
    expect(await shutdown).toBe(0);
    expect(clock.pending().timers).toBe(0);
    keepAlive.destroy();
  }, 10_000);

  it("GIVEN a request that never finishes WHEN SIGTERM THEN shutdown gives up exactly at the deadline, logs it, closes the connection and resolves 1", async () => {
    // GIVEN a server on a fake clock with a 300 ms deadline and a request stuck in its body
    const { logger, lines } = captureLogger("info");
    const clock = new FakeClock();
    running = await startServer(loadConfig({ SHUTDOWN_TIMEOUT_MS: "300" }), {
      logger,
      metrics: null,
      host: "127.0.0.1",
      port: 0,
      clock,
    });
    const arrived = nextRequest(running.server, []);
    const stuck = http.request(`${running.url}/items`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": "100" },
    });
    const clientOutcome = new Promise((resolve) =>
      stuck.on("error", (err: NodeJS.ErrnoException) => resolve(err.code)),
    );
    stuck.write("{");
    await arrived;

    // WHEN SIGTERM arrives and the clock reaches 1 ms before the deadline, then the deadline
    const shutdown = running.shutdown("SIGTERM");
    let settled = false;
    void shutdown.then(() => {
      settled = true;
    });
    await clock.advance(299);
    const before = { settled, deadlineLogged: lines.some((line) => line.level === 50) };
    await clock.advance(1);
    const at = { settled };

    // THEN nothing gave up before the deadline; at it, shutdown logged, cut the connection and resolved 1
    expect(before).toEqual({ settled: false, deadlineLogged: false });
    expect(at).toEqual({ settled: true });
    expect(await shutdown).toBe(1);
    expect(lines.find((line) => line.msg === "shutdown deadline exceeded; forcing exit")).toMatchObject({
      level: 50,
      signal: "SIGTERM",
      timeoutMs: 300,
    });
    expect(await clientOutcome).toBe("ECONNRESET");
  });

  it("GIVEN METRICS_MODE=off WHEN startServer builds its own metrics THEN none are installed", async () => {
    const { logger, lines } = captureLogger("info");

    running = await startServer(loadConfig({ METRICS_MODE: "off" }), { logger, host: "127.0.0.1", port: 0 });

    expect(lines.find((line) => line.msg === "listening")).toMatchObject({ metricsMode: "off" });
  });

  it("GIVEN a shutdown in progress WHEN shutdown is called again THEN the same outcome is returned", async () => {
    const { logger } = captureLogger("info");
    running = await startServer(loadConfig({}), { logger, metrics: null, host: "127.0.0.1", port: 0 });

    const first = running.shutdown("SIGTERM");
    const second = running.shutdown("SIGINT");

    expect(second).toBe(first);
    expect(await first).toBe(0);
  });

  it("GIVEN the port is taken WHEN startServer THEN it rejects with EADDRINUSE and closes metrics and the database", async () => {
    const { logger } = captureLogger("info");
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    const metrics = metricsDouble();
    const db = new Database({ config: loadConfig({ ...postgres.env }).database, logger });

    try {
      await expect(
        startServer(loadConfig({}), { logger, db, metrics: metrics.middleware, host: "127.0.0.1", port }),
      ).rejects.toThrow(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
      expect(metrics.closeTimeouts).toEqual([1000]);
      await expect(db.query("SELECT 1")).rejects.toThrow("the database connection is closed");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe("startServer listen address", () => {
  let running: RunningServer | undefined;

  afterEach(async () => {
    await running?.shutdown("test cleanup");
    running = undefined;
  });

  it.each([
    ["127.0.0.1", "IPv4", (port: number) => `http://127.0.0.1:${port}`],
    ["::1", "IPv6", (port: number) => `http://[::1]:${port}`],
  ])(
    "GIVEN HOST=%s and no host override WHEN started THEN it listens on that address only and its url points there",
    async (host, family, urlFor) => {
      const { logger, lines } = captureLogger("info");

      running = await startServer(loadConfig({ HOST: host }), { logger, metrics: null, port: 0 });

      const address = running.server.address() as AddressInfo;
      expect(address).toEqual({ address: host, family, port: expect.any(Number) });
      expect(running.url).toBe(urlFor(address.port));
      expect(lines.find((line) => line.msg === "listening")).toMatchObject({ url: urlFor(address.port) });
      expect((await get(`${running.url}/health`)).status).toBe(200);
    },
  );

  it("GIVEN HOST unset WHEN started THEN it listens on all interfaces and its url is on loopback", async () => {
    const { logger } = captureLogger("info");

    running = await startServer(loadConfig({}), { logger, metrics: null, port: 0 });

    const address = running.server.address() as AddressInfo;
    expect(["::", "0.0.0.0"]).toContain(address.address);
    expect(running.url).toBe(`http://127.0.0.1:${address.port}`);
    expect((await get(`${running.url}/health`)).status).toBe(200);
  });

  it("GIVEN HOST and a host override WHEN started THEN the override wins", async () => {
    const { logger } = captureLogger("info");

    running = await startServer(loadConfig({ HOST: "::1" }), {
      logger,
      metrics: null,
      host: "127.0.0.1",
      port: 0,
    });

    expect((running.server.address() as AddressInfo).address).toBe("127.0.0.1");
  });
});

describe("server process", () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    child = undefined;
  });

  function spawnServer(env: Record<string, string>): {
    process: ChildProcess;
    stdout: () => string;
    stderr: () => string;
    exited: Promise<number | null>;
    listening: Promise<void>;
  } {
    const proc = spawn(process.execPath, [...TYPESCRIPT_EXEC_ARGV, "app/server.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let out = "";
    let err = "";
    proc.stdout?.on("data", (chunk) => {
      out += chunk;
    });
    proc.stderr?.on("data", (chunk) => {
      err += chunk;
    });
    const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
    // Settles on the "listening" log line, or fails when the process ends first (the test's timeout bounds it).
    const listening = new Promise<void>((resolve, reject) => {
      proc.stdout?.on("data", () => {
        if (out.includes('"msg":"listening"')) resolve();
      });
      void exited.then(() => reject(new Error(`server did not start: ${out} ${err}`)));
    });
    listening.catch(() => undefined);
    return { process: proc, stdout: () => out, stderr: () => err, exited, listening };
  }

  it("GIVEN the real entry point with Local metrics WHEN it receives SIGTERM THEN it flushes the metrics, logs the shutdown and exits 0", async () => {
    const port = await reservePort();
    const server = spawnServer({
      PORT: String(port),
      HOST: "127.0.0.1",
      METRICS_MODE: "aggregate",
      AWS_EMF_ENVIRONMENT: "Local",
      ENV_TYPE: "ci",
    });
    await server.listening;

    const root = await get(`http://127.0.0.1:${port}/`);
    server.process.kill("SIGTERM");
    const code = await server.exited;

    expect(root.status).toBe(200);
    expect(code).toBe(0);
    const lines: LogLine[] = server
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const messages = lines.map((line) => line.msg).filter((msg) => msg !== undefined);
    expect(messages).toEqual(expect.arrayContaining(["listening", "shutting down", "shutdown complete"]));
    expect(lines.find((line) => line.msg === "listening")).toMatchObject({ url: `http://127.0.0.1:${port}` });
    // The sample is usually flushed by the shutdown; on a slow start the 10 s periodic flush can beat the
    // signal. Either way it must be out before the process reports the shutdown complete.
    const emf = lines.findIndex((line) => line._aws !== undefined && line[DIMENSIONS.path] === "/");
    expect(emf).toBeGreaterThan(lines.findIndex((line) => line.msg === "listening"));
    expect(emf).toBeLessThan(lines.findIndex((line) => line.msg === "shutdown complete"));
    expect(lines.filter((line) => line._aws !== undefined && line[DIMENSIONS.path] === "/")).toHaveLength(1);
    expect(lines[emf]).toMatchObject({
      [LATENCY_METRIC.name]: expect.any(Number),
      _aws: { CloudWatchMetrics: [expect.objectContaining({ Namespace: DEFAULT_NAMESPACE })] },
    });
    expect(server.stderr()).toBe("");
  });

  it("GIVEN invalid configuration WHEN the entry point starts THEN it prints every problem, no secret, and exits 1", async () => {
    const server = spawnServer({ PORT: "http", RDS_PASSWORD: "never-print-me", APP_SECRET: "nor-me" });

    const code = await server.exited;

    expect(code).toBe(1);
    expect(server.stderr()).toContain(
      'invalid configuration:\n- PORT "http" is not valid; allowed: an integer from 1 to 65535\n- the database is partially configured',
    );
    expect(server.stderr()).toContain("RDS_PASSWORD=<redacted>");
    expect(server.stderr()).not.toMatch(/never-print-me|nor-me/);
    expect(server.stdout()).toBe("");
  });
});
