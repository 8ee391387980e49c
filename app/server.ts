/**
 * The process: configuration, database, metrics, the HTTP server, and a graceful shutdown that
 * finishes in-flight requests and flushes metrics before ECS's SIGKILL.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { APP_KEEP_ALIVE_TIMEOUT_MS } from "../contract/http";
import { createApp } from "./app";
import { type AppConfig, ConfigError, loadConfig } from "./config";
import { Database } from "./db";
import { createLogger } from "./logger";
import type { Clock, LatencyMetricsMiddleware, LatencyMetricsOptions } from "./metrics";

/** How often idle keep-alive connections are closed while draining. */
const IDLE_SWEEP_MS = 100;

/** The time and timers of the shutdown: its deadline and the idle-connection sweep. */
export type ServerClock = Pick<
  Clock,
  "now" | "setTimeout" | "clearTimeout" | "setInterval" | "clearInterval"
>;

/** The process's monotonic time and timers. */
const processClock: ServerClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
};

/** Replacements for what {@link startServer} would build from the configuration (for tests). */
export interface ServerOverrides {
  /** @default - a JSON logger on stdout at the configured level */
  readonly logger?: Logger;
  /** @default - a {@link Database} from `config.database` */
  readonly db?: Database;
  /** The metrics middleware, or `null` for none. @default - built from `config` unless METRICS_MODE is off */
  readonly metrics?: LatencyMetricsMiddleware | null;
  /** Listen address. @default config.host (all interfaces when unset) */
  readonly host?: string;
  /** Listen port, `0` for any free one. @default config.port */
  readonly port?: number;
  /**
   * Time and timers of the shutdown (its deadline, the idle-connection sweep); a test's fake clock. The
   * metrics middleware keeps its own (its `clock` option). @default - the process's
   */
  readonly clock?: ServerClock;
}

/** A listening server and its shutdown. */
export interface RunningServer {
  /** The HTTP server. */
  readonly server: http.Server;
  /**
   * Base URL of the server from this host: on loopback (`http://127.0.0.1:5000`) when it listens on all
   * interfaces, else on its listen address (`http://[::1]:5000`).
   */
  readonly url: string;
  /**
   * Stops accepting connections, lets in-flight requests finish, closes idle keep-alive connections,
   * flushes metrics and closes the database, all within `SHUTDOWN_TIMEOUT_MS`. Idempotent.
   *
   * @param signal - what triggered it, for the log
   * @returns the exit code: 0 when everything finished in time, 1 after the deadline or a failure
   */
  shutdown(signal: string): Promise<number>;
}

/**
 * The metrics middleware options for a configuration: the mode, the service's logger and the `AWS_EMF_*`
 * variables, which the middleware reads itself (namespace, endpoint, log group, ...).
 *
 * @param config - the service configuration
 * @param logger - for the middleware's own diagnostics
 */
export function metricsOptions(config: AppConfig, logger: Logger): LatencyMetricsOptions {
  return { mode: config.metricsMode, logger, env: config.emfEnvironment };
}

function buildMetrics(config: AppConfig, logger: Logger): LatencyMetricsMiddleware | undefined {
  if (config.metricsMode === "off") return undefined;
  // Required here rather than imported so that METRICS_MODE=off never loads the agent transport.
  const { latencyMetrics } = require("./metrics") as typeof import("./metrics");
  return latencyMetrics(metricsOptions(config, logger));
}

/**
 * Starts the service: migrates the database (or schedules retries), builds the app and listens.
 *
 * @param config - the validated configuration
 * @param overrides - replacements for tests
 */
export async function startServer(
  config: AppConfig,
  overrides: ServerOverrides = {},
): Promise<RunningServer> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const clock = overrides.clock ?? processClock;
  const db = overrides.db ?? new Database({ config: config.database, logger });
  const metrics =
    overrides.metrics === undefined ? buildMetrics(config, logger) : (overrides.metrics ?? undefined);
  await db.start();

  const app = createApp({ config, logger, db, metrics });
  const handle = app.callback();
  let draining = false;
  const server = http.createServer((req, res) => {
    // Clients on a keep-alive connection are told to reconnect (to another task) once draining starts.
    if (draining) res.setHeader("Connection", "close");
    void handle(req, res);
  });
  // Longer than the load balancer's idle timeout, which then closes idle connections first (contract/http.ts).
  server.keepAliveTimeout = APP_KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = APP_KEEP_ALIVE_TIMEOUT_MS + 1000;

  try {
    await listen(server, overrides.port ?? config.port, overrides.host ?? config.host);
  } catch (err) {
    await metrics?.close(1000);
    await db.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const url = localUrl(address);
  logger.info({ url, port: address.port, metricsMode: metrics ? config.metricsMode : "off" }, "listening");

  let shuttingDown: Promise<number> | undefined;
  const run = async (signal: string): Promise<number> => {
    const deadlineAt = clock.now() + config.shutdownTimeoutMs;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, "shutting down");
    draining = true;
    let timer: ReturnType<ServerClock["setTimeout"]> | undefined;
    const deadline = new Promise<number>((resolve) => {
      timer = clock.setTimeout(() => {
        logger.error(
          { signal, timeoutMs: config.shutdownTimeoutMs },
          "shutdown deadline exceeded; forcing exit",
        );
        server.closeAllConnections();
        resolve(1);
      }, config.shutdownTimeoutMs);
      // Unref'd so that, once everything else is closed, the timer alone does not keep the process up.
      timer.unref();
    });
    const graceful = (async () => {
      try {
        await closeServer(server, clock);
        await metrics?.close(Math.max(deadlineAt - clock.now(), 0));
        await db.close();
        logger.info({ signal }, "shutdown complete");
        return 0;
      } catch (err) {
        logger.error({ err, signal }, "shutdown failed");
        return 1;
      }
    })();
    const code = await Promise.race([graceful, deadline]);
    clock.clearTimeout(timer);
    return code;
  };

  return {
    server,
    url,
    shutdown(signal: string): Promise<number> {
      shuttingDown ??= run(signal);
      return shuttingDown;
    },
  };
}

/** The URL this process reaches the server at: loopback when it listens on all interfaces. */
function localUrl({ address, family, port }: AddressInfo): string {
  if (address === "0.0.0.0" || address === "::") return `http://127.0.0.1:${port}`;
  return family === "IPv6" ? `http://[${address}]:${port}` : `http://${address}:${port}`;
}

function listen(server: http.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Resolves once the server has stopped accepting and every connection has ended. */
function closeServer(server: http.Server, clock: ServerClock): Promise<void> {
  return new Promise((resolve) => {
    // Connections that finish their last request while draining become idle; keep closing them.
    const sweeper = clock.setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweeper.unref();
    server.close(() => {
      clock.clearInterval(sweeper);
      resolve();
    });
    server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const running = await startServer(config);
  const onSignal = (signal: NodeJS.Signals): void => {
    void running.shutdown(signal).then((code) => process.exit(code));
  };
  // `once`: a second Ctrl-C falls back to the default action and ends the process immediately.
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
