import type Koa from "koa";
import { PROPERTIES, type StatusClass, statusClassOf, UNMATCHED_PATH } from "../../contract/metrics";
import {
  StreamTransport,
  TcpTransport,
  type Transport,
  type TransportCounters,
  UdpTransport,
} from "./agent-transport";
import { Aggregator, type SeriesBatch } from "./aggregator";
import { EmfDocuments, type RequestFields } from "./emf-documents";
import { type LatencyMetricsOptions, type ResolvedOptions, resolveOptions } from "./options";

/** Counters of one middleware; all but `documents` count latency samples (one per measured request). */
export interface LatencyMetricsStats {
  /** Samples in documents delivered (over TCP: confirmed by the agent; see TcpTransport). */
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

/** What @koa/router leaves on the context: the template of the route that handled the request. */
interface RoutedContext {
  _matchedRoute?: string | RegExp;
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

function createTransport(settings: ResolvedOptions): Transport {
  const transportSettings = {
    maxBufferedBytes: settings.bufferSize,
    maxBufferedLines: settings.bufferLines,
    maxDocumentBytes: settings.maxDocumentBytes,
    writeTimeoutMs: settings.writeTimeoutMs,
    confirmIntervalMs: settings.confirmIntervalMs,
    confirmTimeoutMs: settings.confirmTimeoutMs,
    reconnectMinDelayMs: settings.reconnectMinDelayMs,
    reconnectMaxDelayMs: settings.reconnectMaxDelayMs,
    logger: settings.logger,
  };
  if (settings.environment === "Local") return new StreamTransport(settings.output, transportSettings);
  if (settings.endpoint.protocol === "udp") return new UdpTransport(settings.endpoint, transportSettings);
  return new TcpTransport(settings.endpoint, transportSettings);
}

function requestFields(ctx: Koa.Context, status: number | undefined): RequestFields {
  const url = ctx.originalUrl;
  const query = url.indexOf("?");
  const stateId: unknown = ctx.state?.requestId;
  const requestId =
    typeof stateId === "string" || typeof stateId === "number" ? String(stateId) : ctx.get("x-request-id");
  return {
    method: ctx.method,
    url: (query === -1 ? url : url.slice(0, query)).slice(0, MAX_URL_LENGTH),
    statusCode: status,
    requestId: requestId ? requestId.slice(0, MAX_REQUEST_ID_LENGTH) : undefined,
  };
}

/**
 * Koa middleware publishing the contract's latency metric as Embedded Metric Format to the CloudWatch
 * agent: one sample per request that is not excluded, dimensioned by the matched route template
 * (`Path`, or the contract's UNMATCHED_PATH) and `StatusClass`.
 *
 * The sample is taken on the response's 'close' event with a monotonic clock: the time until the
 * response finished, or until the client went away (StatusClass `aborted`). The status is the one the
 * client got; a request whose response never finished after a thrown error records that error's
 * status (its 4xx/5xx `status`/`statusCode`, else 500). Recording appends to memory; documents are
 * built with aws-embedded-metrics (`MetricsContext` validates, `LogSerializer` serializes; request-mode
 * documents fill a per-route template first checked against `LogSerializer`'s output) and written by
 * this module's own transport, so a request never waits on the agent and an agent failure never
 * reaches the request.
 *
 * Options are validated once: invalid ones throw a TypeError listing each option, value and what is
 * allowed. Mode `off` is the app's: it installs nothing.
 */
export function latencyMetrics(options: LatencyMetricsOptions = {}): LatencyMetricsMiddleware {
  const settings = resolveOptions(options);
  const { logger, exclude } = settings;
  const documents = new EmfDocuments(settings);
  const transport = createTransport(settings);
  const invalidPaths = new Set<string>();
  let recorded = 0;
  let droppedHere = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  const unpublishable = (path: string, samples: number, error: unknown): void => {
    droppedHere += samples;
    if (!invalidPaths.has(path)) {
      invalidPaths.add(path);
      logger.warn({ err: error, path }, "latency samples of this Path cannot be published; dropping them");
    }
  };

  const publishBatch = (batch: SeriesBatch): void => {
    let serialized: ReturnType<EmfDocuments["serialize"]>;
    try {
      serialized = documents.serialize(
        batch.path,
        batch.statusClass,
        batch.values,
        { [PROPERTIES.method]: batch.method },
        batch.firstMs,
      );
    } catch (error) {
      unpublishable(batch.path, batch.values.length, error);
      return;
    }
    for (const document of serialized) transport.send(document.line, document.samples);
  };

  const publishRequest = (
    path: string,
    statusClass: StatusClass,
    valueMs: number,
    fields: RequestFields,
  ): void => {
    let line: string;
    try {
      line = documents.serializeRequest(path, statusClass, valueMs, fields);
    } catch (error) {
      unpublishable(path, 1, error);
      return;
    }
    transport.send(line, 1);
  };

  const aggregator = settings.mode === "aggregate" ? new Aggregator(publishBatch) : undefined;

  const record = (ctx: Koa.Context, startMs: number, errorStatus: number): void => {
    let counted = false;
    try {
      const elapsedMs = performance.now() - startMs;
      const route = (ctx as RoutedContext)._matchedRoute;
      const path = route === undefined ? UNMATCHED_PATH : String(route);
      if (route !== undefined && exclude.has(path)) return;
      recorded++;
      counted = true;
      if (closed) {
        droppedHere++;
        return;
      }
      const finished = ctx.res.writableFinished;
      const status = finished ? ctx.res.statusCode : errorStatus;
      const statusClass = statusClassOf(status, status === 0);
      const valueMs = Math.round(elapsedMs * 1000) / 1000;
      if (aggregator) aggregator.record(path, ctx.method, statusClass, valueMs, Date.now());
      else publishRequest(path, statusClass, valueMs, requestFields(ctx, status || undefined));
    } catch (error) {
      // Runs in an event listener: a throw here would crash the process instead of failing a request.
      if (counted) droppedHere++;
      logger.error({ err: error }, "latency sample not recorded");
    }
  };

  const flushTimer = aggregator ? setInterval(() => aggregator.flush(), settings.flushIntervalMs) : undefined;
  flushTimer?.unref();

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
      ? setInterval(() => logger.info({ emf: stats() }, "latency metrics counters"), settings.statsIntervalMs)
      : undefined;
  statsTimer?.unref();

  const close = (timeoutMs: number = settings.closeTimeoutMs): Promise<void> => {
    if (closing) return closing;
    const deadlineMs = Number.isFinite(timeoutMs) && timeoutMs >= 0 ? timeoutMs : settings.closeTimeoutMs;
    clearInterval(flushTimer);
    clearInterval(statsTimer);
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
    const startMs = performance.now();
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
