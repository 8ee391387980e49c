/**
 * The Koa application: routes and middleware, without a listening socket (see server.ts).
 */
import { STATUS_CODES } from "node:http";
import { Router } from "@koa/router";
import Koa from "koa";
import type { Logger } from "pino";
import { version } from "../package.json";
import type { AppConfig } from "./config";
import { type Database, DatabaseUnavailableError } from "./db";
import { itemsRouter } from "./items";
import { requestContext, requestStateOf } from "./logger";

/** The service name reported by `GET /`. */
export const SERVICE_NAME = "koaapp";

type HttpError = InstanceType<typeof Koa.HttpError>;

/** Response headers an error response keeps: the request id and a draining server's `Connection: close`. */
const KEPT_HEADERS = new Set(["x-request-id", "connection"]);

/** What {@link createApp} needs. */
export interface AppDeps {
  /** The validated configuration. */
  readonly config: AppConfig;
  /** The root logger; each request gets a child with its request id. */
  readonly logger: Logger;
  /** The database, configured or not. */
  readonly db: Database;
  /** The latency metrics middleware, mounted outermost. @default - no metrics */
  readonly metrics?: Koa.Middleware;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  /** The HTTP status. */
  status: number;
  /** The status text (`Not Found`). */
  error: string;
  /** What went wrong: the thrown message for exposed 4xx errors, the status text otherwise. */
  message: string;
  /** Every problem found, for validation errors. */
  details?: string[];
  /** The request id, to find the request's log lines. */
  requestId: string;
}

/**
 * Builds the application. Middleware order, outermost first:
 *
 * 1. `metrics` (when given), so it times the whole request and observes the status the client gets;
 * 2. the request context (request id, child logger, access log);
 * 3. the error handler, which maps every error to a JSON response, so nothing it handles reaches the
 *    metrics middleware as a throw and the status metrics see is the status sent;
 * 4. the routers.
 *
 * Routes: `GET /` (service, version, environment), `GET /health` (liveness; never touches the
 * database), `GET /ready` (readiness: 503 while the database is down, 200 with
 * `database: "not-configured"` when there is none; see `readiness`), and the `/items` resource.
 *
 * Errors that reach Koa's `error` event are logged with the request id: those of the client's own
 * connection (see {@link isClientConnectionError}) at info as "client connection error", any other at
 * error as "unhandled application error".
 *
 * @param deps - configuration, logger, database, and the optional metrics middleware
 */
export function createApp(deps: AppDeps): Koa {
  const { config, logger, db, metrics } = deps;
  const app = new Koa();
  // What the error handler below cannot catch still becomes a JSON line: a failing metrics middleware,
  // an error after the response started, and errors of the connection itself (which Koa reports too).
  app.on("error", (err: unknown, ctx?: Koa.Context) => {
    const log = ctx ? requestStateOf(ctx, logger).logger : logger;
    if (ctx && isClientConnectionError(err, ctx)) {
      // Info, like the access line beside it: at most one more line per connection, and visible by default,
      // since behind the ALB protocol errors mean a proxy mismatch or a desync attempt. Not warn: the
      // service has nothing to fix.
      const { method, originalUrl: url } = ctx;
      log.info({ code: err.code, reason: err.message, method, url }, "client connection error");
    } else {
      log.error({ err }, "unhandled application error");
    }
  });

  if (metrics) app.use(metrics);
  app.use(requestContext(logger));
  app.use(errorHandler(logger));

  const root = new Router();
  root.get("/", async function serviceInfo(ctx) {
    ctx.body = { service: SERVICE_NAME, version, environment: config.envType };
  });
  root.get("/health", async function liveness(ctx) {
    ctx.body = { status: "ok" };
  });
  root.get("/ready", readiness(db));

  const items = itemsRouter({ db });
  app.use(root.routes());
  app.use(root.allowedMethods());
  app.use(items.routes());
  app.use(items.allowedMethods());
  return app;
}

/** Codes of errors a client causes on its own connection, besides the HTTP parser's `HPE_*`. */
const CLIENT_CONNECTION_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * Whether an error Koa reports is the client's doing on this request's connection rather than a fault of
 * the service: Node's HTTP parser rejecting what the client sent (`HPE_*`, e.g. bytes after a
 * `Connection: close` request or a bad chunk size; Node answers 400 when it still can), or the client
 * resetting or closing the connection (`ECONNRESET`, `EPIPE`, `ECONNABORTED`,
 * `ERR_STREAM_PREMATURE_CLOSE`, a request `aborted`). Koa hears of these through the socket's `error`
 * event and emits them as application errors. The connection must be destroyed as well: the same codes
 * from the service's own connections (the database, the metrics agent) are real failures.
 *
 * @param err - what Koa emitted
 * @param ctx - the request it emitted it for
 */
export function isClientConnectionError(
  err: unknown,
  ctx: Koa.Context,
): err is { code?: string; message: string } {
  // Not `instanceof Error`: errors from Node's own modules come from another realm under jest.
  if (typeof err !== "object" || err === null || ctx.req.socket?.destroyed !== true) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof message !== "string") return false;
  if (typeof code === "string" && (code.startsWith("HPE_") || CLIENT_CONNECTION_CODES.has(code))) return true;
  return message === "aborted";
}

/**
 * `GET /ready`: 200 when the database answers, 503 when it does not.
 *
 * When no database is configured the answer is 200 with `database: "not-configured"`: running without
 * a database is a supported deployment, and failing readiness there would make the load balancer drop
 * a task whose non-database routes work. Database routes answer 503 on their own in that case.
 */
function readiness(db: Database): Koa.Middleware {
  return async function readinessCheck(ctx) {
    if (!db.configured) {
      ctx.body = { status: "ready", database: "not-configured" };
    } else if (await db.ready()) {
      ctx.body = { status: "ready", database: "ok" };
    } else {
      ctx.status = 503;
      ctx.body = { status: "unavailable", database: "unavailable" };
    }
  };
}

/**
 * Turns every error into a JSON {@link ErrorBody}: HTTP errors (including {@link DatabaseUnavailableError},
 * 503) keep their status, anything else becomes a 500. Messages are shown only for errors marked `expose`
 * (http-errors does so for 4xx only); 5xx are logged with the request id. Also gives JSON bodies to
 * empty error responses (404 for unknown routes, 405). An error after the headers were sent closes the
 * connection and goes on to Koa.
 */
function errorHandler(logger: Logger): Koa.Middleware {
  return async function errorHandlerMiddleware(ctx, next) {
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) {
        const { status } = ctx;
        ctx.body = errorBody(status, undefined, requestStateOf(ctx, logger).requestId);
        // Koa turns an unset status into 200 when a body is assigned.
        ctx.status = status;
      }
    } catch (err) {
      const { requestId, logger: log } = requestStateOf(ctx, logger);
      const httpError = err instanceof Koa.HttpError ? err : undefined;
      const status = httpError && httpError.status >= 400 && httpError.status < 600 ? httpError.status : 500;
      // An unavailable database is an operational state with its own alarms, not a bug in this request.
      if (status >= 500)
        log[err instanceof DatabaseUnavailableError ? "warn" : "error"]({ err, status }, "request failed");
      // Part of the response is on the wire, so it cannot become an error response. Koa only reports the
      // error and leaves the client waiting for the rest; cutting the connection tells it the response is
      // incomplete. The rethrow lets the metrics middleware count a failure.
      if (ctx.headerSent) {
        ctx.res.destroy();
        throw err;
      }

      // Headers of a half-built response must not leak into the error response.
      for (const name of ctx.res.getHeaderNames()) {
        if (!KEPT_HEADERS.has(name)) ctx.res.removeHeader(name);
      }
      const headers = (httpError as { headers?: Record<string, string> } | undefined)?.headers;
      if (headers) ctx.set(headers);
      ctx.status = status;
      ctx.body = errorBody(status, httpError?.expose ? httpError : undefined, requestId);
    }
  };
}

function errorBody(status: number, exposed: HttpError | undefined, requestId: string): ErrorBody {
  const error = STATUS_CODES[status] ?? "Error";
  const body: ErrorBody = { status, error, message: exposed?.message ?? error, requestId };
  const details: unknown = (exposed as { details?: unknown } | undefined)?.details;
  if (Array.isArray(details)) body.details = details.map(String);
  return body;
}
