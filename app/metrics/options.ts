import { MetricsContext } from "aws-embedded-metrics/lib/logger/MetricsContext";
import pino, { type Logger } from "pino";
import { AGENT_EMF_PORT, DEFAULT_NAMESPACE, EMF_SERVICE_TYPE } from "../../contract/metrics";
import type { AgentEndpoint, LineOutput } from "./agent-transport";

/** The modes this module implements; `off` is the app's (it installs no middleware). */
export const LATENCY_METRICS_MODES = ["aggregate", "request"] as const;

/** How latency samples become documents. */
export type LatencyMetricsMode = (typeof LATENCY_METRICS_MODES)[number];

/** Where documents go: the agent (`endpoint`) or stdout. */
export const LATENCY_METRICS_ENVIRONMENTS = ["Local", "Agent"] as const;

/** A value of `environment`. */
export type LatencyMetricsEnvironment = (typeof LATENCY_METRICS_ENVIRONMENTS)[number];

/** The agent's EMF listener on the task's loopback interface. */
export const DEFAULT_ENDPOINT = `tcp://127.0.0.1:${AGENT_EMF_PORT}`;

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

/** Largest TCP document: a CloudWatch Logs event is at most 256 KiB. */
export const DEFAULT_MAX_TCP_DOCUMENT_BYTES = 256 * 1024;

/** Largest UDP document: the IPv4 UDP payload limit (the agent listens on loopback). */
export const DEFAULT_MAX_UDP_DOCUMENT_BYTES = 65_507;

/** Options of {@link latencyMetrics}. */
export interface LatencyMetricsOptions {
  /**
   * `aggregate`: values per Path/Method/StatusClass, up to 100 per document, flushed every
   * `flushIntervalMs`, when a key holds 100 values, and when a wall-clock minute ends.
   * `request`: one document per request with Method, Url, StatusCode and RequestId properties.
   * @default "aggregate"
   */
  mode?: LatencyMetricsMode;
  /** The agent's EMF listener, `tcp://host:port` or `udp://host:port`. @default "tcp://127.0.0.1:25888" */
  endpoint?: string;
  /** `Agent` sends to `endpoint`; `Local` writes the lines to `output` for development. @default "Agent" */
  environment?: LatencyMetricsEnvironment;
  /** CloudWatch namespace. @default DEFAULT_NAMESPACE of the contract ("koaapp") */
  namespace?: string;
  /** `_aws.LogGroupName` of every document; the agent drops documents without one. @default `${serviceName}-metrics` */
  logGroupName?: string;
  /** `_aws.LogStreamName` of every document. @default - none: the agent chooses the stream */
  logStreamName?: string;
  /** Service name: the default log group's prefix and, with `defaultDimensions`, a dimension. @default - the namespace */
  serviceName?: string;
  /** Service type, a dimension with `defaultDimensions`. @default EMF_SERVICE_TYPE of the contract */
  serviceType?: string;
  /**
   * Adds the library's default dimensions ServiceName, ServiceType and LogGroup to every dimension
   * set. This changes the identity of every metric (alarms and dashboards must match). @default false
   */
  defaultDimensions?: boolean;
  /** Route templates or request paths that are not measured. @default ["/health"] */
  exclude?: readonly string[];
  /** Receives transport warnings and the periodic counters. @default - pino at info level on stderr */
  logger?: Logger;
  /** Aggregate mode: how often partial documents are flushed, in ms. @default 10000 */
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
  /** Largest document in bytes; aggregate documents are split to fit, others are dropped. @default - 262144 (TCP), 65507 (UDP) */
  maxDocumentBytes?: number;
  /** How often the counters are logged, in ms; 0 turns it off. @default 60000 */
  statsIntervalMs?: number;
  /** The deadline of `close()` when it is called without one, in ms. @default 2000 */
  closeTimeoutMs?: number;
  /** Destination of the `Local` environment. @default process.stdout */
  output?: LineOutput;
}

/** Options after defaults and validation. */
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
  readonly exclude: ReadonlySet<string>;
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
}

const MAX_TIMER_MS = 2_147_483_647;

/** Shows a received value in a message: strings quoted, everything else as JSON or its type. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) return String(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return typeof value;
}

/** Parses `tcp://host:port` or `udp://host:port`; undefined when it is anything else. */
export function parseEndpoint(value: string): AgentEndpoint | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not a URL at all: the caller reports the value.
    return undefined;
  }
  const protocol = url.protocol === "tcp:" ? "tcp" : url.protocol === "udp:" ? "udp" : undefined;
  const port = Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const bare = url.username === "" && url.password === "" && url.search === "" && url.hash === "";
  if (!protocol || !host || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  if (!bare || (url.pathname !== "" && url.pathname !== "/")) return undefined;
  return { protocol, host, port };
}

/**
 * Applies defaults and validates every option, collecting all problems into one TypeError whose
 * lines name the option, the value received and what is allowed.
 */
export function resolveOptions(options: LatencyMetricsOptions): ResolvedOptions {
  const problems: string[] = [];
  const integer = (name: string, value: unknown, min: number, max: number, what: string): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} ${show(value)} is not valid; expected an integer ${what} from ${min} to ${max}`);
      return min;
    }
    return value;
  };
  const text = (name: string, value: unknown, max: number): string => {
    if (typeof value !== "string" || value.trim() === "" || value.length > max) {
      problems.push(
        `${name} ${show(value)} is not valid; expected a non-blank string of at most ${max} characters`,
      );
      return "";
    }
    return value;
  };

  const mode = options.mode ?? "aggregate";
  if (!LATENCY_METRICS_MODES.includes(mode)) {
    problems.push(`mode ${show(mode)} is not valid; allowed: ${LATENCY_METRICS_MODES.join(", ")}`);
  }
  const environment = options.environment ?? "Agent";
  if (!LATENCY_METRICS_ENVIRONMENTS.includes(environment)) {
    problems.push(
      `environment ${show(environment)} is not valid; allowed: ${LATENCY_METRICS_ENVIRONMENTS.join(", ")}`,
    );
  }
  const endpointText = options.endpoint ?? DEFAULT_ENDPOINT;
  const endpoint = typeof endpointText === "string" ? parseEndpoint(endpointText) : undefined;
  if (!endpoint) {
    problems.push(`endpoint ${show(endpointText)} is not valid; expected tcp://host:port or udp://host:port`);
  }
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  let namespaceValid = true;
  try {
    MetricsContext.empty().setNamespace(namespace);
  } catch {
    namespaceValid = false;
    // The library's own rule decides; the message below says what it allows.
    problems.push(
      `namespace ${show(namespace)} is not valid; expected 1 to 256 characters of a-z A-Z 0-9 space . _ # : / -`,
    );
  }
  // Derived defaults follow a valid namespace only, so one bad value is reported once.
  const serviceName = text(
    "serviceName",
    options.serviceName ?? (namespaceValid ? namespace : DEFAULT_NAMESPACE),
    1024,
  );
  const serviceType = text("serviceType", options.serviceType ?? EMF_SERVICE_TYPE, 1024);
  const logGroupName = options.logGroupName ?? `${serviceName}-metrics`;
  if (typeof logGroupName !== "string" || !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(logGroupName)) {
    problems.push(
      `logGroupName ${show(logGroupName)} is not valid; expected 1 to 512 characters of a-z A-Z 0-9 . - _ / #`,
    );
  }
  const logStreamName =
    options.logStreamName === undefined ? undefined : text("logStreamName", options.logStreamName, 512);
  if (logStreamName && /[:*]/.test(logStreamName)) {
    problems.push(`logStreamName ${show(logStreamName)} is not valid; it must not contain : or *`);
  }
  const defaultDimensions = options.defaultDimensions ?? false;
  if (typeof defaultDimensions !== "boolean") {
    problems.push(`defaultDimensions ${show(defaultDimensions)} is not valid; expected a boolean`);
  }
  const exclude = options.exclude ?? ["/health"];
  if (!Array.isArray(exclude) || exclude.some((entry) => typeof entry !== "string")) {
    problems.push(`exclude ${show(exclude)} is not valid; expected an array of paths or route templates`);
  }
  const givenLogger: unknown = options.logger;
  if (
    givenLogger !== undefined &&
    (typeof givenLogger !== "object" ||
      givenLogger === null ||
      typeof (givenLogger as Logger).warn !== "function")
  ) {
    problems.push(`logger ${show(givenLogger)} is not valid; expected a pino logger`);
  }
  const output = options.output ?? process.stdout;
  if (typeof output !== "object" || output === null || typeof output.write !== "function") {
    problems.push(`output ${show(output)} is not valid; expected a writable stream`);
  }
  const flushIntervalMs = integer("flushIntervalMs", options.flushIntervalMs ?? 10_000, 1, 600_000, "of ms");
  const bufferSize = integer(
    "bufferSize",
    options.bufferSize ?? DEFAULT_BUFFER_BYTES,
    1024,
    2 ** 30,
    "of bytes",
  );
  const bufferLines = integer(
    "bufferLines",
    options.bufferLines ?? Number.MAX_SAFE_INTEGER,
    1,
    Number.MAX_SAFE_INTEGER,
    "of documents",
  );
  const writeTimeoutMs = integer("writeTimeoutMs", options.writeTimeoutMs ?? 5_000, 1, MAX_TIMER_MS, "of ms");
  const confirmIntervalMs = integer(
    "confirmIntervalMs",
    options.confirmIntervalMs ?? 1_000,
    1,
    MAX_TIMER_MS,
    "of ms",
  );
  const confirmTimeoutMs = integer(
    "confirmTimeoutMs",
    options.confirmTimeoutMs ?? 30_000,
    1,
    MAX_TIMER_MS,
    "of ms",
  );
  const reconnectMinDelayMs = integer(
    "reconnectMinDelayMs",
    options.reconnectMinDelayMs ?? 100,
    1,
    MAX_TIMER_MS,
    "of ms",
  );
  const reconnectMaxDelayMs = integer(
    "reconnectMaxDelayMs",
    options.reconnectMaxDelayMs ?? 5_000,
    reconnectMinDelayMs,
    MAX_TIMER_MS,
    "of ms",
  );
  const defaultMaxDocumentBytes =
    endpoint?.protocol === "udp" ? DEFAULT_MAX_UDP_DOCUMENT_BYTES : DEFAULT_MAX_TCP_DOCUMENT_BYTES;
  const maxDocumentBytes = integer(
    "maxDocumentBytes",
    options.maxDocumentBytes ?? defaultMaxDocumentBytes,
    1024,
    endpoint?.protocol === "udp" ? DEFAULT_MAX_UDP_DOCUMENT_BYTES : 1024 * 1024,
    "of bytes",
  );
  const statsIntervalMs = integer(
    "statsIntervalMs",
    options.statsIntervalMs ?? 60_000,
    0,
    MAX_TIMER_MS,
    "of ms",
  );
  const closeTimeoutMs = integer("closeTimeoutMs", options.closeTimeoutMs ?? 2_000, 0, MAX_TIMER_MS, "of ms");

  if (problems.length > 0) {
    throw new TypeError(`latencyMetrics: invalid options:\n- ${problems.join("\n- ")}`);
  }
  return {
    mode,
    endpoint: endpoint as AgentEndpoint,
    environment,
    namespace,
    logGroupName,
    logStreamName,
    serviceName,
    serviceType,
    defaultDimensions,
    exclude: new Set(exclude),
    logger: options.logger ?? pino({ name: "latency-metrics" }, pino.destination(2)),
    flushIntervalMs,
    bufferSize,
    bufferLines,
    writeTimeoutMs,
    confirmIntervalMs,
    confirmTimeoutMs,
    reconnectMinDelayMs,
    reconnectMaxDelayMs,
    maxDocumentBytes,
    statsIntervalMs,
    closeTimeoutMs,
    output,
  };
}
