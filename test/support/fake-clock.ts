/**
 * A {@link Clock} on fake time for unit tests of the latency middleware and its transports: time moves
 * only in {@link FakeClock.advance}, which runs due timers in order, letting promise callbacks run in
 * between. No test that uses it sleeps or reads the wall clock.
 */
import type { Clock, Timer } from "../../app/metrics/clock";

interface FakeTimer extends Timer {
  dueAt: number;
  readonly ms: number;
  readonly callback: () => void;
  readonly repeat: boolean;
  active: boolean;
  referenced: boolean;
  readonly order: number;
}

/** Lets queued promise callbacks (and the microtasks they queue) run. */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Fake clocks and timers; see the module comment. */
export class FakeClock implements Clock {
  private monotonicMs = 1_000;
  private readonly timers = new Set<FakeTimer>();
  private created = 0;

  /** @param epochMs - the wall-clock time at the start; @default a fixed recent time (2025-11-14) */
  constructor(private readonly epochStartMs = 1_763_078_400_000) {}

  now(): number {
    return this.monotonicMs;
  }

  epochNow(): number {
    return this.epochStartMs + this.monotonicMs - 1_000;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, false);
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer) this.cancel(timer as FakeTimer);
  }

  setInterval(callback: () => void, ms: number): Timer {
    return this.add(callback, ms, true);
  }

  clearInterval(timer: Timer | undefined): void {
    if (timer) this.cancel(timer as FakeTimer);
  }

  /** Timers waiting to fire; `referenced` counts those that would keep a process alive. */
  pending(): { timers: number; referenced: number; delays: number[] } {
    const active = [...this.timers].filter((t) => t.active);
    return {
      timers: active.length,
      referenced: active.filter((t) => t.referenced).length,
      delays: active.map((t) => t.dueAt - this.monotonicMs).sort((a, b) => a - b),
    };
  }

  /**
   * Moves time forward by `ms`, running each timer when its time comes (in order of due time, then
   * creation), with promise callbacks drained before and after each.
   */
  async advance(ms: number): Promise<void> {
    const until = this.monotonicMs + ms;
    await drainMicrotasks();
    for (;;) {
      const next = [...this.timers]
        .filter((t) => t.active && t.dueAt <= until)
        .sort((a, b) => a.dueAt - b.dueAt || a.order - b.order)[0];
      if (!next) break;
      this.monotonicMs = Math.max(this.monotonicMs, next.dueAt);
      if (next.repeat) next.dueAt = this.monotonicMs + Math.max(1, next.ms);
      else next.active = false;
      next.callback();
      await drainMicrotasks();
    }
    this.monotonicMs = until;
  }

  private add(callback: () => void, ms: number, repeat: boolean): FakeTimer {
    const clock = this;
    const timer: FakeTimer = {
      dueAt: this.monotonicMs + Math.max(1, ms),
      ms,
      callback,
      repeat,
      active: true,
      referenced: true,
      order: this.created++,
      ref() {
        timer.referenced = true;
        return timer;
      },
      unref() {
        timer.referenced = false;
        return timer;
      },
      refresh() {
        timer.dueAt = clock.monotonicMs + Math.max(1, ms);
        timer.active = true;
        clock.timers.add(timer);
        return timer;
      },
    };
    this.timers.add(timer);
    return timer;
  }

  private cancel(timer: FakeTimer): void {
    timer.active = false;
    this.timers.delete(timer);
  }
}
