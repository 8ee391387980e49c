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
 * @param deps - configuration, logger, database, and the optional metrics middleware
 */
export function createApp(deps: AppDeps): Koa {
  const { config, logger, db, metrics } = deps;
  const app = new Koa();
  // Errors the handler below cannot catch (a failing metrics middleware) still become JSON log lines.
  app.on("error", (err: unknown) => {
    logger.error({ err }, "unhandled application error");
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
 * empty error responses (404 for unknown routes, 405).
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
      // Part of the response is on the wire: only Koa can still end it (by destroying the socket).
      if (ctx.headerSent) throw err;

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
