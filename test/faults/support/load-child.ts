/**
 * The load generator's process. Inside jest, autocannon and Node's HTTP client run about 3× slower
 * (5.5k instead of 15k requests/s here, with p99 inflated by the test runner's own work), so every load
 * of the suite runs in this plain Node process instead, driven over IPC by `load-generator.ts`:
 *
 * - `{ type: "autocannon", id, options }` / `{ type: "http-loop", id, options }` start a run and are
 *   answered `{ type: "started", id }`, then `{ type: "result", id, result }` or `{ type: "failed", id, message }`;
 * - `{ type: "stop", id }` ends a run early (its result still comes).
 *
 * Usage (spawned by load-generator.ts only): node --require ./scripts/register-ts.cjs load-child.ts
 */
import { type HttpLoopOptions, type RequestRecord, startHttpLoop } from "./http-loop";
import { type LoadOptions, type LoadResult, startLoad } from "./load";

/** Messages to the load process. */
export type LoadCommand =
  | { type: "autocannon"; id: number; options: LoadOptions }
  | { type: "http-loop"; id: number; options: HttpLoopOptions }
  | { type: "stop"; id: number };

/** Messages from the load process. */
export type LoadReply =
  | { type: "started"; id: number }
  | { type: "result"; id: number; result: LoadResult | RequestRecord[] }
  | { type: "failed"; id: number; message: string };

if (!process.send) throw new Error("load-child: run by test/faults/support/load-generator.ts only");
const stops = new Map<number, () => void>();
const reply = (message: LoadReply): void => {
  if (process.connected) process.send?.(message);
};
process.on("message", (command: LoadCommand) => {
  if (command.type === "stop") {
    stops.get(command.id)?.();
    return;
  }
  const { id } = command;
  const run = command.type === "autocannon" ? startLoad(command.options) : startHttpLoop(command.options);
  stops.set(id, () => run.stop());
  reply({ type: "started", id });
  (run.done as Promise<LoadResult | RequestRecord[]>).then(
    (result) => {
      stops.delete(id);
      reply({ type: "result", id, result });
    },
    (err: unknown) => {
      stops.delete(id);
      reply({ type: "failed", id, message: err instanceof Error ? err.message : String(err) });
    },
  );
});
// The parent going away (a crashed test run) ends the load with it.
process.once("disconnect", () => process.exit(0));
