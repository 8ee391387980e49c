export { METRICS_MODES, type MetricsMode } from "../../contract/metrics";
export type { Clock, Timer } from "./clock";
export { EMF_ENVIRONMENT_VARIABLES } from "./environment";
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
  MAX_TCP_DOCUMENT_BYTES,
  MAX_UDP_DOCUMENT_BYTES,
} from "./options";
export { latencyMetricsProblems, parseEndpoint } from "./resolve-options";
export type { AgentEndpoint, LineOutput, TransportCounters } from "./transport";
