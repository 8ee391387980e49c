/**
 * The service process as the fault suite runs it: the real {@link startServer} with the real
 * configuration from the environment, plus a test-only IPC channel that reports the latency metrics'
 * counters and the process's memory, which the real entry point (`app/server.ts`) does not expose.
 *
 * It builds the metrics middleware itself (from the configuration, as `startServer` would, with the
 * option overrides in `FAULTS_METRICS_OPTIONS`, a JSON object) so that it can read `stats()`; signals
 * are handled like `app/server.ts` `main()`: SIGTERM/SIGINT run `shutdown` and exit with its code.
 *
 * IPC, parent → child: `{ type: "stats", id }`, `{ type: "gc" }`. Child → parent: `{ type: "ready", url }`,
 * `{ type: "stats", id, snapshot }`, and `{ type: "closed", code, snapshot }` right before exiting.
 *
 * Usage (spawned by test/faults/support/server-process.ts only): node --require ./scripts/register-ts.cjs server-child.ts
 */

import { loadConfig } from "../../../app/config";
import { createLogger } from "../../../app/logger";
import type { LatencyMetricsOptions, LatencyMetricsStats } from "../../../app/metrics";
import { latencyMetrics } from "../../../app/metrics";
import { metricsOptions, startServer } from "../../../app/server";

/** What the child reports about itself. */
export interface ChildSnapshot {
  /** The metrics middleware's counters. */
  readonly stats: LatencyMetricsStats;
  /** `process.memoryUsage()` at the time of the snapshot. */
  readonly memory: NodeJS.MemoryUsage;
  /** Milliseconds since the child started. */
  readonly uptimeMs: number;
}

/** Messages from the child. */
export type ChildMessage =
  | { type: "ready"; url: string }
  | { type: "stats"; id: number; snapshot: ChildSnapshot }
  | { type: "closed"; code: number; shutdownMs: number; snapshot: ChildSnapshot };

/** Messages to the child. */
export type ParentMessage = { type: "stats"; id: number } | { type: "gc" };

async function main(): Promise<void> {
  if (!process.send) throw new Error("server-child: run by test/faults/support/server-process.ts only");
  const config = loadConfig();
  if (config.metricsMode === "off")
    throw new Error("server-child: METRICS_MODE must be aggregate or request");
  const logger = createLogger({ level: config.logLevel });
  const extra = JSON.parse(process.env.FAULTS_METRICS_OPTIONS ?? "{}") as Partial<LatencyMetricsOptions>;
  const metrics = latencyMetrics({ ...metricsOptions(config, logger), ...extra });
  // Port 0 (any free port, reported over IPC): PORT has to be 1-65535 in the real configuration.
  const running = await startServer(config, { logger, metrics, host: "127.0.0.1", port: 0 });

  const snapshot = (): ChildSnapshot => ({
    stats: metrics.stats(),
    memory: process.memoryUsage(),
    uptimeMs: Math.round(process.uptime() * 1000),
  });
  const send = (message: ChildMessage, then?: () => void): void => {
    if (!process.connected) {
      then?.();
      return;
    }
    process.send?.(message, undefined, {}, () => then?.());
  };
  process.on("message", (message: ParentMessage) => {
    if (message.type === "stats") send({ type: "stats", id: message.id, snapshot: snapshot() });
    // Only with --expose-gc; lets the memory check compare heaps after a full collection.
    else if (message.type === "gc") (globalThis as { gc?: () => void }).gc?.();
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    const started = Date.now();
    void running.shutdown(signal).then((code) => {
      // The counters after close() are final: nothing is buffered any more.
      send({ type: "closed", code, shutdownMs: Date.now() - started, snapshot: snapshot() }, () =>
        process.exit(code),
      );
    });
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  // The parent going away (a crashed test run) must not leave a listening server behind.
  process.once("disconnect", () => onSignal("SIGTERM"));
  send({ type: "ready", url: running.url });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `server-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
