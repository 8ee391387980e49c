/**
 * The public API of `@emf-fargate/koa-latency`: the middleware, its options and what it reports, and
 * `latencyMetricsProblems` for an app that lists the middleware's configuration problems with its own before it
 * starts. Parsers and error helpers stay internal.
 */

export type { Clock, Timer } from "./clock";
export { EMF_ENVIRONMENT_VARIABLES } from "./environment";
export {
  type LatencyMetricsMiddleware,
  type LatencyMetricsStats,
  latencyMetrics,
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
export { latencyMetricsProblems } from "./resolve-options";
export type { LineOutput, TransportCounters } from "./transport";
