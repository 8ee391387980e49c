import type Koa from "koa";
import type { Logger } from "pino";
import { DEFAULT_AGENT_ENDPOINT, METRICS_MODES } from "../../contract/metrics";
import type { Clock } from "./clock";
import type { AgentEndpoint, LineOutput } from "./transport/transport";

/** How latency samples become documents; `off` installs a pass-through that records nothing. */
export const LATENCY_METRICS_MODES = METRICS_MODES;

/** A value of `mode`: `off`, `aggregate` or `request`. */
export type LatencyMetricsMode = (typeof LATENCY_METRICS_MODES)[number];

/**
 * The values of aws-embedded-metrics' `AWS_EMF_ENVIRONMENT`. `Local` and `Lambda` write the documents to
 * `output` (stdout), as the library's console sink does; `Agent`, `EC2` and `ECS` send them to `endpoint`.
 */
export const LATENCY_METRICS_ENVIRONMENTS = ["Local", "Lambda", "Agent", "EC2", "ECS"] as const;

/** A value of `environment`. */
export type LatencyMetricsEnvironment = (typeof LATENCY_METRICS_ENVIRONMENTS)[number];

/** The environments whose documents go to `output` instead of the agent. */
export const OUTPUT_ENVIRONMENTS: ReadonlySet<LatencyMetricsEnvironment> = new Set(["Local", "Lambda"]);

/** The agent's EMF listener on the loopback interface: aws-embedded-metrics' default, and what the construct sets. */
export const DEFAULT_ENDPOINT = DEFAULT_AGENT_ENDPOINT;

/**
 * What aws-embedded-metrics reports for a service name or type nobody configured (its `Agent`
 * environment); the default log group is then `Unknown-metrics`, as with the library.
 */
export const UNKNOWN_SERVICE = "Unknown";

/**
 * Default buffer bound in bytes: 4 MiB.
 *
 * Sized for aggregate mode at 1,000 requests/s with up to 20 active Path × Method × StatusClass keys
 * and the default 10 s flush: full documents 1,000 / 100 values = 10/s, partial documents at flush
 * ≤ 20 keys / 10 s = 2/s, so ≤ 12 documents/s. A full document is ≤ ~1 KiB (100 values of 6–8
 * characters + ~250–400 bytes of dimensions and metadata; ~870 bytes measured by the benchmark) plus
 * 64 bytes of accounted overhead, so ≤ ~13 KiB/s, ≤ ~0.8 MiB per 60 s of agent outage. 4 MiB holds
 * about 5 minutes at 1,000 requests/s, or 70 s at 5,000 requests/s (52 documents/s).
 *
 * Request mode writes one ~310–400-byte document per request (~375 bytes accounted), so 4 MiB holds
 * about 11 s at 1,000 requests/s; give it `bufferSize: 24 * 1024 * 1024` to hold 60 s.
 */
export const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Largest TCP document in bytes: 262,144 − 26 = 262,118. The agent's CloudWatch Logs exporter cuts any
 * longer event to that size and appends `[Truncated...]`, which breaks the JSON and loses its metrics.
 * (Its listener would take lines up to 1 MiB; a longer one makes it drop the connection.)
 */
export const MAX_TCP_DOCUMENT_BYTES = 262_118;

/** Largest UDP document in bytes: the IPv4 UDP payload limit (65,507) less the newline. */
export const MAX_UDP_DOCUMENT_BYTES = 65_506;

/** Options of {@link latencyMetrics}. Unset options come from the `AWS_EMF_*` variables, then the defaults. */
export interface LatencyMetricsOptions {
  /**
   * `aggregate`: values per Path/Method/StatusClass, up to 100 per document, flushed every
   * `flushIntervalMs`, when a key holds 100 values, and when a wall-clock minute (with `highResolution`, 10-second
   * window) ends.
   * `request`: one document per request with Method, Url, StatusCode and RequestId properties.
   * `off`: a pass-through that measures nothing and opens no connection.
   * @default "aggregate"
   */
  mode?: LatencyMetricsMode;
  /** The agent's EMF listener, `tcp://host:port` or `udp://host:port`. @default - AWS_EMF_AGENT_ENDPOINT, else "tcp://127.0.0.1:25888" */
  endpoint?: string;
  /** `Local` and `Lambda` write to `output`; `Agent`, `EC2` and `ECS` send to `endpoint`. @default - AWS_EMF_ENVIRONMENT, else "Agent" */
  environment?: LatencyMetricsEnvironment;
  /** CloudWatch namespace. @default - AWS_EMF_NAMESPACE, else "aws-embedded-metrics" (the library's) */
  namespace?: string;
  /** `_aws.LogGroupName` of every document; the agent drops documents without one. @default - AWS_EMF_LOG_GROUP_NAME, else `${serviceName}-metrics` */
  logGroupName?: string;
  /** `_aws.LogStreamName` of every document. @default - AWS_EMF_LOG_STREAM_NAME, else none: the agent chooses */
  logStreamName?: string;
  /** Service name: the default log group's prefix and, with `defaultDimensions`, a dimension. @default - AWS_EMF_SERVICE_NAME or SERVICE_NAME, else "Unknown" */
  serviceName?: string;
  /** Service type, a dimension with `defaultDimensions`. @default - AWS_EMF_SERVICE_TYPE or SERVICE_TYPE, else "Unknown" */
  serviceType?: string;
  /**
   * Adds the library's default dimensions ServiceName, ServiceType and LogGroup to every dimension
   * set. This changes the identity of every metric (alarms and dashboards must match). @default false
   */
  defaultDimensions?: boolean;
  /**
   * Publishes `Latency` at high resolution (EMF `"StorageResolution": 1`), for alarms on 10-second periods (the
   * construct's `metrics.highResolution`). Aggregate documents are then cut at wall-clock 10-second windows
   * (standard: minutes) and a window's documents leave at the first flush after it ends, so every 10-second period
   * gets its samples once, within `flushIntervalMs` of its end. The number of documents stays about what the
   * default flush makes; high-resolution alarms cost more (see the README).
   * @default - AWS_EMF_LATENCY_HIGH_RESOLUTION (`true` or `false`; this project's variable, not the library's), else false
   */
  highResolution?: boolean;
  /** Route templates or request paths that are not measured. @default ["/health"] */
  exclude?: readonly string[];
  /**
   * The route template of a request (the `Path` dimension), read when the response is done; `undefined`
   * for a request no route matched (`Path` is then `(unmatched)`). Return templates, never raw paths,
   * so that `Path` stays bounded. @default - the template `@koa/router` matched (`ctx._matchedRoute`)
   */
  route?: (ctx: Koa.Context) => string | undefined;
  /** Receives transport warnings and the periodic counters. @default - pino at info level on stderr */
  logger?: Logger;
  /**
   * Aggregate mode: how often partial documents are flushed, in ms. With `highResolution`, how often finished
   * 10-second windows are flushed, at most 5000: AWS recommends publishing high-resolution EMF within 5 s.
   * @default 10000, or 1000 with highResolution
   */
  flushIntervalMs?: number;
  /** Buffer bound in bytes; see {@link DEFAULT_BUFFER_BYTES} for the arithmetic. @default 4194304 */
  bufferSize?: number;
  /** Buffer bound in documents, in addition to `bufferSize`. @default - no bound besides bufferSize */
  bufferLines?: number;
  /** A connect or write without progress for this long drops the connection, in ms. @default 5000 */
  writeTimeoutMs?: number;
  /**
   * TCP: written documents are confirmed by half-closing the connection this long after the first
   * unconfirmed write and waiting for the agent's FIN; bounds what an agent failure can make the
   * transport send twice, in ms. @default 1000
   */
  confirmIntervalMs?: number;
  /** TCP: how long the agent may take to confirm before its documents are resent, in ms. @default 30000 */
  confirmTimeoutMs?: number;
  /** First reconnect delay in ms; doubles per failed attempt, with jitter. @default 100 */
  reconnectMinDelayMs?: number;
  /** Cap of the reconnect delay in ms. @default 5000 */
  reconnectMaxDelayMs?: number;
  /**
   * Largest document in bytes, its newline not counted (one CloudWatch Logs event): aggregate documents
   * are split to fit, others are dropped and counted as oversized. At most 262118 (TCP, Local) or 65506 (UDP).
   * @default - the maximum
   */
  maxDocumentBytes?: number;
  /** How often the counters are logged, in ms; 0 turns it off. @default 60000 */
  statsIntervalMs?: number;
  /** The deadline of `close()` when it is called without one, in ms. @default 2000 */
  closeTimeoutMs?: number;
  /** Destination of the `Local` and `Lambda` environments. @default process.stdout */
  output?: LineOutput;
  /** Clocks and timers, for tests on fake time. @default - performance.now, Date.now and Node's timers */
  clock?: Clock;
  /** The environment variables to read the `AWS_EMF_*` settings from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Options after the environment, defaults and validation: one field per option, under the option's name. */
export interface ResolvedOptions {
  readonly mode: LatencyMetricsMode;
  readonly endpoint: AgentEndpoint;
  readonly environment: LatencyMetricsEnvironment;
  readonly namespace: string;
  readonly logGroupName: string;
  readonly logStreamName: string | undefined;
  readonly serviceName: string;
  readonly serviceType: string;
  readonly defaultDimensions: boolean;
  readonly highResolution: boolean;
  readonly exclude: ReadonlySet<string>;
  readonly route: ((ctx: Koa.Context) => string | undefined) | undefined;
  readonly logger: Logger;
  readonly flushIntervalMs: number;
  readonly bufferSize: number;
  readonly bufferLines: number;
  readonly writeTimeoutMs: number;
  readonly confirmIntervalMs: number;
  readonly confirmTimeoutMs: number;
  readonly reconnectMinDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly maxDocumentBytes: number;
  readonly statsIntervalMs: number;
  readonly closeTimeoutMs: number;
  readonly output: LineOutput;
  readonly clock: Clock;
}

/** Every option name, in the order the README lists them; anything else is refused. */
export const OPTION_NAMES: readonly (keyof LatencyMetricsOptions)[] = [
  "mode",
  "endpoint",
  "environment",
  "namespace",
  "logGroupName",
  "logStreamName",
  "serviceName",
  "serviceType",
  "defaultDimensions",
  "highResolution",
  "exclude",
  "route",
  "logger",
  "flushIntervalMs",
  "bufferSize",
  "bufferLines",
  "writeTimeoutMs",
  "confirmIntervalMs",
  "confirmTimeoutMs",
  "reconnectMinDelayMs",
  "reconnectMaxDelayMs",
  "maxDocumentBytes",
  "statsIntervalMs",
  "closeTimeoutMs",
  "output",
  "clock",
  "env",
];
