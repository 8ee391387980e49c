import pino, { type Logger } from "pino";
import {
  CLOUDWATCH_NAMESPACE,
  checkName,
  LOG_GROUP_NAME,
  LOG_STREAM_NAME,
} from "../../contract/cloudwatch-names";
import { didYouMean, unknownKeys } from "../../contract/known-keys";
import { DEFAULT_METRICS_MODE, HIGH_RESOLUTION_MAX_FLUSH_SECONDS } from "../../contract/metrics";
import { Reader } from "../../contract/parsers";
import { Problems, show } from "../../contract/problems";
import { type Clock, systemClock } from "./clock";
import { LIBRARY_DEFAULT_NAMESPACE } from "./emf-library";
import { optionsSource } from "./environment";
import {
  DEFAULT_BUFFER_BYTES,
  DEFAULT_ENDPOINT,
  LATENCY_METRICS_ENVIRONMENTS,
  LATENCY_METRICS_MODES,
  type LatencyMetricsOptions,
  MAX_TCP_DOCUMENT_BYTES,
  MAX_UDP_DOCUMENT_BYTES,
  OPTION_NAMES,
  type ResolvedOptions,
  UNKNOWN_SERVICE,
} from "./options";
import type { AgentEndpoint } from "./transport/transport";

const MAX_TIMER_MS = 2_147_483_647;

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

function unknownKeyProblem(key: string): string {
  const near = didYouMean(key, OPTION_NAMES);
  const hint = near ? ` (did you mean ${near}?)` : "";
  return `unknown option ${JSON.stringify(key)}${hint}; known options: ${OPTION_NAMES.join(", ")}`;
}

/**
 * Applies the environment and the defaults, and validates every option, collecting all problems into
 * one TypeError whose lines name the option (and the variable it came from), the value received and
 * what is allowed. Explicit options win over the environment.
 */
export function resolveOptions(options: LatencyMetricsOptions): ResolvedOptions {
  const problems = new Problems();
  const resolved = check(options, problems);
  problems.throwIfAny("latencyMetrics: invalid options", TypeError);
  return {
    ...(resolved as Omit<ResolvedOptions, "logger">),
    logger: options.logger ?? pino({ name: "latency-metrics" }, pino.destination(2)),
  };
}

/**
 * The problems `resolveOptions` would report, one line each, without building anything: for a
 * caller that reports configuration problems its own way (the app at start-up).
 */
export function latencyMetricsProblems(options: LatencyMetricsOptions): readonly string[] {
  const problems = new Problems();
  check(options, problems);
  return problems.all;
}

/** Validates every option into `problems`; the resolved options when there was no problem. */
function check(
  options: LatencyMetricsOptions,
  problems: Problems,
): Omit<ResolvedOptions, "logger"> | undefined {
  if (typeof options !== "object" || options === null) {
    problems.add(`options ${show(options)} are not valid; allowed: an object`);
    return undefined;
  }
  for (const key of unknownKeys(options, OPTION_NAMES)) problems.add(unknownKeyProblem(key));
  const env = options.env ?? process.env;
  if (typeof env !== "object" || env === null) {
    problems.add(`env ${show(env)} is not valid; allowed: an object of environment variables`);
  }
  const read = new Reader(
    problems,
    optionsSource(options, typeof env === "object" && env !== null ? env : {}),
  );
  const text = (name: "serviceName" | "serviceType"): string =>
    read.string(name, {
      test: (value) => value.trim() !== "" && value.length <= 1024,
      allowed: "a non-blank string of at most 1024 characters",
    }) ?? (read.isSet(name) ? "" : UNKNOWN_SERVICE);

  const mode = read.oneOf("mode", LATENCY_METRICS_MODES) ?? DEFAULT_METRICS_MODE;
  const environment = read.oneOf("environment", LATENCY_METRICS_ENVIRONMENTS) ?? "Agent";
  const endpoint = read.isSet("endpoint")
    ? read.parse("endpoint", parseEndpoint, { allowed: "tcp://host:port or udp://host:port" })
    : (parseEndpoint(DEFAULT_ENDPOINT) as AgentEndpoint);
  // CloudWatch's rules, which the construct applies to the values it passes as AWS_EMF_* too. The namespace
  // rule is stricter than aws-embedded-metrics' own, so the library never refuses what passes here.
  const namespace = read.string("namespace", CLOUDWATCH_NAMESPACE) ?? LIBRARY_DEFAULT_NAMESPACE;
  const serviceName = text("serviceName");
  const serviceType = text("serviceType");
  const logGroupName = read.isSet("logGroupName")
    ? (read.string("logGroupName", LOG_GROUP_NAME) ?? "")
    : `${serviceName || UNKNOWN_SERVICE}-metrics`;
  // The library's default derives from the service name, which need not make a valid group name.
  if (!read.isSet("logGroupName")) checkName(problems, LOG_GROUP_NAME, "logGroupName", logGroupName);
  const logStreamName = read.string("logStreamName", LOG_STREAM_NAME);
  const defaultDimensions = read.boolean("defaultDimensions") ?? false;
  const highResolution = read.boolean("highResolution") ?? false;
  const exclude = options.exclude ?? ["/health"];
  problems.check(
    !Array.isArray(exclude) || exclude.some((entry) => typeof entry !== "string"),
    `exclude ${show(exclude)} is not valid; allowed: an array of paths or route templates`,
  );
  problems.check(
    options.route !== undefined && typeof options.route !== "function",
    `route ${show(options.route)} is not valid; allowed: a function (ctx) => template | undefined`,
  );
  const givenLogger: unknown = options.logger;
  problems.check(
    givenLogger !== undefined && typeof (givenLogger as Logger | null)?.warn !== "function",
    `logger ${show(givenLogger)} is not valid; allowed: a pino logger`,
  );
  const output = options.output ?? process.stdout;
  problems.check(
    typeof output?.write !== "function",
    `output ${show(output)} is not valid; allowed: a writable stream`,
  );
  const clock: Clock = options.clock ?? systemClock;
  const clockMembers = ["now", "epochNow", "setTimeout", "clearTimeout", "setInterval", "clearInterval"];
  problems.check(
    clockMembers.some(
      (member) => typeof (clock as unknown as Record<string, unknown>)?.[member] !== "function",
    ),
    `clock ${show(clock)} is not valid; allowed: an object with functions ${clockMembers.join(", ")}`,
  );
  const integer = (
    name: keyof LatencyMetricsOptions,
    fallback: number,
    min: number,
    max: number,
    unit: string,
  ) => read.integer(name, { min, max, unit }) ?? (read.isSet(name) ? min : fallback);
  const ms = (name: keyof LatencyMetricsOptions, fallback: number, min = 1, max = MAX_TIMER_MS) =>
    integer(name, fallback, min, max, "ms");
  const flushIntervalMs =
    highResolution && mode === "aggregate"
      ? (read.integer("flushIntervalMs", {
          min: 1,
          max: HIGH_RESOLUTION_MAX_FLUSH_SECONDS * 1000,
          allowed: `an integer of ms from 1 to ${HIGH_RESOLUTION_MAX_FLUSH_SECONDS * 1000} with highResolution (AWS recommends publishing high-resolution EMF within ${HIGH_RESOLUTION_MAX_FLUSH_SECONDS} s)`,
        }) ?? 1_000)
      : ms("flushIntervalMs", 10_000, 1, 600_000);
  const bufferSize = integer("bufferSize", DEFAULT_BUFFER_BYTES, 1024, 2 ** 30, "bytes");
  const bufferLines = integer(
    "bufferLines",
    Number.MAX_SAFE_INTEGER,
    1,
    Number.MAX_SAFE_INTEGER,
    "documents",
  );
  const writeTimeoutMs = ms("writeTimeoutMs", 5_000);
  const confirmIntervalMs = ms("confirmIntervalMs", 1_000);
  const confirmTimeoutMs = ms("confirmTimeoutMs", 30_000);
  const reconnectMinDelayMs = ms("reconnectMinDelayMs", 100);
  const reconnectMaxDelayMs = ms("reconnectMaxDelayMs", 5_000, reconnectMinDelayMs);
  const maxDocument = endpoint?.protocol === "udp" ? MAX_UDP_DOCUMENT_BYTES : MAX_TCP_DOCUMENT_BYTES;
  const maxDocumentBytes = integer("maxDocumentBytes", maxDocument, 1024, maxDocument, "bytes");
  const statsIntervalMs = ms("statsIntervalMs", 60_000, 0);
  const closeTimeoutMs = ms("closeTimeoutMs", 2_000, 0);

  if (!problems.isEmpty) return undefined;
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
    highResolution,
    exclude: new Set(exclude),
    route: options.route,
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
    clock,
  };
}
