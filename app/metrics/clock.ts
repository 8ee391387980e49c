/** A timer handle: the part of Node's `Timeout` the middleware uses. */
export interface Timer {
  /** Keeps the process alive until the timer fires. */
  ref(): unknown;
  /** Lets the process exit although the timer is pending. */
  unref(): unknown;
  /** Starts the timer again from now with its original delay, also after it fired. */
  refresh(): unknown;
}

/**
 * Time as the middleware sees it: clocks and timers. Injected (the `clock` option) so that tests of the
 * buffer, the aggregator, backoff, confirmation and close deadlines run on fake time.
 */
export interface Clock {
  /** Monotonic milliseconds, for durations (`performance.now()`). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for document timestamps (`Date.now()`). */
  epochNow(): number;
  /** Runs `callback` once after `ms` (`setTimeout`). */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Cancels a timer of {@link Clock.setTimeout}. */
  clearTimeout(timer: Timer | undefined): void;
  /** Runs `callback` every `ms` (`setInterval`). */
  setInterval(callback: () => void, ms: number): Timer;
  /** Cancels a timer of {@link Clock.setInterval}. */
  clearInterval(timer: Timer | undefined): void;
}

/** The process's clocks and timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  epochNow: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
};
