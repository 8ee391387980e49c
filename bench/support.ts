/** What the benchmarks share: the load the app benchmarks send, waiting for a server child, medians. */
import type { ChildProcess } from "node:child_process";
import type { ChildMessage } from "./app-server";

/** Paths of the load, cycled per connection: both route shapes, mostly the parameterised one. */
export const REQUESTS = [{ path: "/items/7" }, { path: "/" }, { path: "/items/42" }, { path: "/items/99" }];

/** The next message of `type` from a server child; rejects if the child exits first, so a crash never hangs a run. */
export function nextMessage<T extends ChildMessage["type"]>(
  child: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`server child exited (${code}) while waiting for "${type}"`));
    };
    const cleanup = (): void => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** The median; of an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
