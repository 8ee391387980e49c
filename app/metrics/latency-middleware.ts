import type Koa from "koa";
import {
  HIGH_RESOLUTION_PERIOD_SECONDS,
  type StatusClass,
  statusClassOf,
  UNMATCHED_PATH,
} from "../../contract/metrics";
import { Aggregator, MINUTE_MS, type SeriesBatch } from "./aggregator";
import { EmfDocuments, type RequestFields } from "./emf-documents";
import type { LatencyMetricsOptions } from "./options";
import { resolveOptions } from "./resolve-options";
import { createTransport, type TransportCounters } from "./transport";

/** Counters of one middleware; all but `documents` count latency samples (one per measured request). */
export interface LatencyMetricsStats {
  /** Samples in documents delivered (over TCP: read by the agent, confirmed by its FIN). */
  readonly sent: number;
  /** Samples not yet sent: aggregating, or in documents waiting in the transport buffer. */
  readonly buffered: number;
  /** Samples lost: their document was dropped (buffer full, oversized, invalid, after close). */
  readonly dropped: number;
  /** Samples recorded, one per request that was not excluded; always `sent + buffered + dropped`. */
  readonly recorded: number;
  /** The transport's counters in documents (lines). */
  readonly documents: TransportCounters;
}

/** The middleware with its lifecycle attached. */
export interface LatencyMetricsMiddleware extends Koa.Middleware {
  /**
   * Flushes the aggregated values and delivers everything buffered until `timeoutMs` has passed, then
   * drops the rest (counted) and releases sockets and timers. Never rejects; later calls return the
   * same promise. Requests measured afterwards are counted as dropped.
   */
  close(timeoutMs?: number): Promise<void>;
  /** The counters, also logged every `statsIntervalMs`. */
  stats(): LatencyMetricsStats;
}

/** Longest `Url` property kept in request mode; the query string is never published. */
const MAX_URL_LENGTH = 2048;

/** Longest `RequestId` property kept in request mode. */
const MAX_REQUEST_ID_LENGTH = 256;

/** The template @koa/router leaves on the context for the route that handled the request. */
function routerTemplate(ctx: Koa.Context): string | undefined {
  const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
  return route === undefined || typeof route === "string" ? route : String(route);
}

/** The status a thrown error becomes: its own 4xx/5xx status, else 500. */
export function statusOfError(error: unknown): number {
  if (typeof error === "object" && error !== null) {
    const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
    const candidate = typeof status === "number" ? status : statusCode;
    if (
      typeof candidate === "number" &&
      Number.isInteger(candidate) &&
      candidate >= 400 &&
      candidate <= 599
    ) {
      return candidate;
    }
  }
  return 500;
}

function requestFields(ctx: Koa.Context, status: number): RequestFields {
  const url = ctx.originalUrl;
  const query = url.indexOf("?");
  const stateId: unknown = ctx.state?.requestId;
  const requestId =
    typeof stateId === "string" || typeof stateId === "number" ? String(stateId) : ctx.get("x-request-id");
  return {
    method: ctx.method,
    url: (query === -1 ? url : url.slice(0, query)).slice(0, MAX_URL_LENGTH),
    statusCode: status === 0 ? undefined : status,
    requestId: requestId ? requestId.slice(0, MAX_REQUEST_ID_LENGTH) : undefined,
  };
}

const NO_DOCUMENTS: TransportCounters = {
  sent: 0,
  buffered: 0,
  dropped: 0,
  oversized: 0,
  retried: 0,
  bufferedBytes: 0,
  samples: { sent: 0, buffered: 0, dropped: 0 },
};

/** Mode `off`: the same middleware shape, measuring nothing. */
function passThrough(): LatencyMetricsMiddleware {
  async function latencyMetricsMiddleware(_ctx: Koa.Context, next: Koa.Next): Promise<void> {
    await next();
  }
  const stats = (): LatencyMetricsStats => ({
    recorded: 0,
    sent: 0,
    buffered: 0,
    dropped: 0,
    documents: NO_DOCUMENTS,
  });
  return Object.assign(latencyMetricsMiddleware, { close: () => Promise.resolve(), stats });
}

/**
 * Koa middleware publishing the contract's latency metric as Embedded Metric Format to the CloudWatch
 * agent: one sample per request that is not excluded, dimensioned by the route template (`Path`, or the
 * contract's UNMATCHED_PATH) and `StatusClass`.
 *
 * The sample is taken on the response's 'close' event with the monotonic clock: the time until the
 * response finished, or until the client went away (StatusClass `aborted`). The status is the one the
 * client got; a request whose response never finished after a thrown error records that error's
 * status (its 4xx/5xx `status`/`statusCode`, else 500). Recording appends to memory; documents are
 * built from aws-embedded-metrics' serialization and written by this module's own transport, so a
 * request never waits on the agent and an agent failure never reaches the request.
 *
 * Options are validated once, unset ones read from the `AWS_EMF_*` variables: invalid ones, and unknown
 * keys, throw one TypeError listing each option, value and what is allowed. Mode `off` installs a
 * pass-through.
 */
export function latencyMetrics(options: LatencyMetricsOptions = {}): LatencyMetricsMiddleware {
  const settings = resolveOptions(options);
  if (settings.mode === "off") return passThrough();
  const { logger, exclude, clock } = settings;
  const routeOf = settings.route ?? routerTemplate;
  const documents = new EmfDocuments(settings);
  const transport = createTransport(settings);
  const invalidPaths = new Set<string>();
  let recorded = 0;
  let droppedHere = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  // Wall-clock time derived from the monotonic reading each sample takes anyway; re-read every tick.
  let epochOffsetMs = clock.epochNow() - clock.now();

  const unpublishable = (path: string, samples: number, error: unknown): void => {
    droppedHere += samples;
    if (!invalidPaths.has(path)) {
      invalidPaths.add(path);
      logger.warn({ err: error, path }, "latency samples of this Path cannot be published; dropping them");
    }
  };

  const publishBatch = (batch: SeriesBatch): void => {
    try {
      const serialized = documents.aggregate(
        batch.path,
        batch.method,
        batch.statusClass,
        batch.values,
        batch.firstMs,
      );
      for (const document of serialized) transport.send(document.line, document.samples, document.bytes);
    } catch (error) {
      unpublishable(batch.path, batch.values.length, error);
    }
  };

  const publishRequest = (
    path: string,
    statusClass: StatusClass,
    micros: number,
    fields: RequestFields,
    epochMs: number,
  ): void => {
    try {
      const document = documents.request(path, statusClass, micros, fields, epochMs);
      transport.send(document.line, 1, document.bytes);
    } catch (error) {
      unpublishable(path, 1, error);
    }
  };

  const { highResolution } = settings;
  const aggregator =
    settings.mode === "aggregate"
      ? new Aggregator(publishBatch, highResolution ? HIGH_RESOLUTION_PERIOD_SECONDS * 1000 : MINUTE_MS)
      : undefined;

  const record = (ctx: Koa.Context, startMs: number, errorStatus: number): void => {
    let counted = false;
    try {
      const endMs = clock.now();
      const route = routeOf(ctx);
      const path = typeof route === "string" ? route : UNMATCHED_PATH;
      if (route !== undefined && exclude.has(path)) return;
      recorded++;
      counted = true;
      if (closed || (invalidPaths.size > 0 && invalidPaths.has(path))) {
        droppedHere++;
        return;
      }
      const res = ctx.res;
      const status = res.writableFinished ? res.statusCode : errorStatus;
      const statusClass = statusClassOf(status, status === 0);
      const micros = Math.round((endMs - startMs) * 1000);
      const epochMs = Math.round(endMs + epochOffsetMs);
      // ctx.req.method is ctx.method (Koa's setter writes through), without two getters per request.
      if (aggregator) aggregator.record(path, ctx.req.method as string, statusClass, micros, epochMs);
      else publishRequest(path, statusClass, micros, requestFields(ctx, status), epochMs);
    } catch (error) {
      // Runs in an event listener: a throw here would crash the process instead of failing a request.
      if (counted) droppedHere++;
      logger.error({ err: error }, "latency sample not recorded");
    }
  };

  const tickTimer = clock.setInterval(() => {
    epochOffsetMs = clock.epochNow() - clock.now();
    // High resolution: only finished windows leave, one document per key and 10-s period however often this runs.
    aggregator?.flush(highResolution ? clock.now() + epochOffsetMs : undefined);
  }, settings.flushIntervalMs);
  tickTimer.unref();

  const stats = (): LatencyMetricsStats => {
    const counters = transport.counters();
    return {
      recorded,
      sent: counters.samples.sent,
      buffered: counters.samples.buffered + (aggregator?.pending ?? 0),
      dropped: counters.samples.dropped + droppedHere,
      documents: counters,
    };
  };

  const statsTimer =
    settings.statsIntervalMs > 0
      ? clock.setInterval(
          () => logger.info({ emf: stats() }, "latency metrics counters"),
          settings.statsIntervalMs,
        )
      : undefined;
  statsTimer?.unref();

  const close = (timeoutMs: number = settings.closeTimeoutMs): Promise<void> => {
    if (closing) return closing;
    const deadlineMs = Number.isFinite(timeoutMs) && timeoutMs >= 0 ? timeoutMs : settings.closeTimeoutMs;
    clock.clearInterval(tickTimer);
    clock.clearInterval(statsTimer);
    try {
      aggregator?.flush();
    } catch (error) {
      logger.error({ err: error }, "latency metrics flush failed");
    }
    closed = true;
    closing = transport
      .close(deadlineMs)
      .then(() => logger.info({ emf: stats() }, "latency metrics closed"))
      .catch((error: unknown) => logger.error({ err: error }, "latency metrics close failed"));
    return closing;
  };

  async function latencyMetricsMiddleware(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    if (exclude.has(ctx.path)) {
      await next();
      return;
    }
    const startMs = clock.now();
    let errorStatus = 0;
    ctx.res.on("close", () => record(ctx, startMs, errorStatus));
    try {
      await next();
    } catch (error) {
      errorStatus = statusOfError(error);
      throw error;
    }
  }

  return Object.assign(latencyMetricsMiddleware, { close, stats });
}
