/**
 * The HTTP contract between the app and what fronts it: the app's side of the connection rules a load
 * balancer must respect. Like metrics.ts, imported by app/ and stacks/, depending on neither.
 */

/**
 * How long the app keeps an idle keep-alive connection open, in ms. It is longer than the load balancer's
 * idle timeout (60 s by default), so the load balancer, not Node, closes idle connections: otherwise the
 * load balancer can reuse a connection Node just closed and answer 502.
 */
export const APP_KEEP_ALIVE_TIMEOUT_MS = 65_000;
