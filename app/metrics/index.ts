export type { AgentEndpoint, LineOutput, TransportCounters } from "./agent-transport";
export {
  type LatencyMetricsMiddleware,
  type LatencyMetricsStats,
  latencyMetrics,
  statusOfError,
} from "./latency-middleware";
export {
  DEFAULT_BUFFER_BYTES,
  DEFAULT_ENDPOINT,
  LATENCY_METRICS_ENVIRONMENTS,
  LATENCY_METRICS_MODES,
  type LatencyMetricsEnvironment,
  type LatencyMetricsMode,
  type LatencyMetricsOptions,
  parseEndpoint,
} from "./options";
