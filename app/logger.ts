/**
 * Structured JSON logging: the logger factory and the per-request context (request id, child logger,
 * access log).
 */
import { randomUUID } from "node:crypto";
import type { Context, Middleware } from "koa";
import pino, { type DestinationStream, type LevelWithSilent, type Logger } from "pino";

/** Paths pino censors wherever they appear in a log line, up to two levels deep. */
export const REDACTED_PATHS: readonly string[] = [
  "password",
  "*.password",
  "*.*.password",
  "APP_SECRET",
  "*.APP_SECRET",
  "appSecret",
  "*.appSecret",
  "*.*.appSecret",
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  "*.headers.authorization",
  "*.headers.cookie",
  '*.headers["set-cookie"]',
];

/** The text that replaces a redacted value. */
export const REDACTED = "<redacted>";

/** Header carrying the request id in both directions. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Incoming request ids are reused only when they match this: short, printable, no spaces. */
const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level written. @default "info" */
  readonly level?: LevelWithSilent;
  /** Where lines go. @default - stdout */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger writing one JSON object per line, with secrets redacted.
 *
 * @param options - level and destination
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = "info", destination } = options;
  const pinoOptions = {
    level,
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(pinoOptions, destination) : pino(pinoOptions);
}

/** What {@link requestContext} puts on `ctx.state`. */
export interface RequestState {
  /** The request id, also sent back in the `x-request-id` response header. */
  requestId: string;
  /** A child logger whose lines carry `reqId`. */
  logger: Logger;
}

/**
 * The request id of a request: the incoming `x-request-id` when it is a sane token of at most 128
 * characters, else a new UUID. A bad header is replaced rather than rejected so clients are never
 * refused for a tracing detail.
 *
 * @param header - the raw `x-request-id` header value
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * The request id and child logger of the current request.
 *
 * @param ctx - a context that went through {@link requestContext}
 * @param fallback - used when it did not (a middleware mounted before it)
 */
export function requestStateOf(ctx: Context, fallback: Logger): RequestState {
  const state = ctx.state as Partial<RequestState>;
  return {
    requestId: state.requestId ?? "",
    logger: state.logger ?? fallback,
  };
}

/**
 * Assigns the request id, sets the `x-request-id` response header, puts a child logger on
 * `ctx.state.logger`, and writes one access-log line per request once the response is closed, so the
 * line carries the status the client actually received (or `aborted: true`).
 *
 * @param logger - the root logger
 */
export function requestContext(logger: Logger): Middleware {
  return async function requestContextMiddleware(ctx, next) {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(ctx.get(REQUEST_ID_HEADER) || undefined);
    const log = logger.child({ reqId: requestId });
    const state: RequestState = { requestId, logger: log };
    Object.assign(ctx.state, state);
    ctx.set(REQUEST_ID_HEADER, requestId);

    const { method, originalUrl } = ctx;
    ctx.res.once("close", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(
        {
          method,
          url: originalUrl,
          route: typeof ctx._matchedRoute === "string" ? ctx._matchedRoute : undefined,
          status: ctx.res.statusCode,
          durationMs: Math.round(durationMs * 1000) / 1000,
          aborted: !ctx.res.writableFinished,
        },
        "request completed",
      );
    });

    await next();
  };
}
