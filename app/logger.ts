/**
 * Structured JSON logging: the logger factory and the per-request context (request id, child logger,
 * access log).
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { types } from "node:util";
import type { Context, Middleware } from "koa";
import pino, { type DestinationStream, type LevelWithSilent, type Logger } from "pino";
import { SECRET_VARIABLES } from "./config";

/**
 * Paths pino censors in a log line: secret keys at the top level and one level down, request and response
 * headers one level down, and the one deeper secret the service holds (its own configuration's database
 * password).
 *
 * No path has two wildcard levels (`*.*.password`): pino's redaction copies every value a wildcard reaches
 * onto a plain object of the same prototype, which breaks a Buffer, typed array or URL found there (the
 * line then says `"[unable to serialize, circular reference is too complex to analyze]"`, or the call
 * throws), and a second wildcard level reaches every property of every logged value, such as an error's
 * `rawPacket`. One level reaches only the top-level values, so log plain data there, not a Buffer or a URL
 * (errors are made plain by {@link serializeError}).
 */
export const REDACTED_PATHS: readonly string[] = [
  "password",
  "*.password",
  "appSecret",
  "*.appSecret",
  ...SECRET_VARIABLES.flatMap((name) => [name, `*.${name}`]),
  "config.database.password",
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
 * pino's standard error serializer (type, message and stack with their causes, and every other enumerable
 * property such as `code`), without the properties that hold bytes or live objects: Buffers, typed arrays
 * and ArrayBuffers (Node's HTTP parser puts the offending bytes on its errors as `rawPacket`) and event
 * emitters (sockets, streams, requests), which are large, circular and client-controlled. The error
 * itself is not changed.
 *
 * @param err - what was logged under `err`; anything that is not error-like is returned as it is
 */
export function serializeError(err: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(err as Error);
  if (serialized === err || typeof serialized !== "object" || serialized === null) return serialized;
  const fields = serialized as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (ArrayBuffer.isView(value) || types.isAnyArrayBuffer(value) || value instanceof EventEmitter)
      delete fields[key];
  }
  return fields;
}

/**
 * A pino logger writing one JSON object per line, with secrets redacted and `err` serialized by
 * {@link serializeError}.
 *
 * @param options - level and destination
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = "info", destination } = options;
  const pinoOptions = {
    level,
    serializers: { err: serializeError },
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
      // A response ended on a connection that already failed (Node's parser rejected the client's next
      // bytes, or the client reset it) counts as finished, though none of it was sent.
      const aborted = !ctx.res.writableFinished || ctx.req.socket?.errored != null;
      log.info(
        {
          method,
          url: originalUrl,
          route: typeof ctx._matchedRoute === "string" ? ctx._matchedRoute : undefined,
          status: ctx.res.statusCode,
          durationMs: Math.round(durationMs * 1000) / 1000,
          aborted,
        },
        "request completed",
      );
    });

    await next();
  };
}
