import type { TransportSettings } from "./transport";

/** The delay before reconnect attempt `attempt` (0-based): capped exponential with equal jitter. */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Reconnect delays of one transport: capped exponential with jitter per failed attempt, reset by whatever
 * proves the agent healthy (a confirmation over TCP, a connected socket over UDP).
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly settings: Pick<TransportSettings, "reconnectMinDelayMs" | "reconnectMaxDelayMs">,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt, which it counts; the minimum while `hurried` (close() is waiting). */
  next(hurried: boolean): number {
    const { reconnectMinDelayMs, reconnectMaxDelayMs } = this.settings;
    const delay = hurried
      ? reconnectMinDelayMs
      : backoffDelayMs(this.attempt, reconnectMinDelayMs, reconnectMaxDelayMs, this.random);
    this.attempt++;
    return delay;
  }

  /** The agent proved healthy: the next failure starts from the minimum again. */
  reset(): void {
    this.attempt = 0;
  }
}
