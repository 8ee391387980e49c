import type { Timer } from "../clock";
import { LineBuffer } from "./line-buffer";
import type { Transport, TransportCounters, TransportSettings } from "./transport";

/**
 * How long a document may wait for others to share its write. Bounds the transport to 50 writes (and
 * syscalls) a second whatever the load: at tens of thousands of requests a second, one write per
 * event-loop turn cost more than all the rest of the transport. Well below the TCP transport's 50 ms
 * idle confirmation, so steady traffic keeps its connection instead of confirming after every write.
 */
export const PUMP_DELAY_MS = 20;

/**
 * Where a transport is in its life; changed only by `close()`, `seal()` and `finishClose()`.
 *
 * - `running`: documents are buffered and delivered.
 * - `draining`: `close()` was called; what is buffered is still delivered, new documents too.
 * - `sealed`: draining emptied the buffer; the destination is being released, new documents are dropped.
 * - `closed`: `close()` resolved; every document is dropped, no socket or timer is left.
 */
export type Lifecycle = "running" | "draining" | "sealed" | "closed";

/**
 * A transport's shared part: the bounded buffer, the batching of writes and the bounded `close()`.
 * Subclasses move entries from the buffer to their destination in `pump()`.
 */
export abstract class BufferedTransport implements Transport {
  protected readonly buffer: LineBuffer;
  protected lifecycle: Lifecycle = "running";
  private pumpScheduled = false;
  private pumpTimer: Timer | undefined;
  private closePromise: Promise<void> | undefined;
  private resolveClose: (() => void) | undefined;
  private deadlineTimer: Timer | undefined;

  constructor(protected readonly settings: TransportSettings) {
    this.buffer = new LineBuffer(settings);
  }

  send(line: string, samples: number, bytes?: number): boolean {
    if (this.lifecycle === "sealed" || this.lifecycle === "closed" || this.refuses()) {
      this.buffer.refuse(samples);
      return false;
    }
    const result = this.buffer.push(line, samples, bytes);
    if (result === "accepted") {
      this.schedulePump();
      return true;
    }
    if (result === "oversized") {
      this.settings.logger.warn(
        { bytes: Buffer.byteLength(line), maxDocumentBytes: this.settings.maxDocumentBytes },
        "EMF document larger than maxDocumentBytes dropped",
      );
    } else if (result === "overflow") {
      this.settings.logger.warn(
        { bufferedBytes: this.buffer.costBytes, bufferedLines: this.buffer.length },
        "EMF buffer full: dropping new documents until the agent catches up",
      );
    }
    return false;
  }

  counters(): TransportCounters {
    return this.buffer.counters();
  }

  close(timeoutMs: number): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.lifecycle = "draining";
    this.closePromise = new Promise<void>((resolve) => {
      this.resolveClose = resolve;
    });
    // Ref'd on purpose: a process awaiting close() must stay alive until the deadline, and no longer.
    this.deadlineTimer = this.settings.clock.setTimeout(() => this.finishClose("deadline"), timeoutMs);
    this.onClosing();
    if (this.buffer.length === 0) this.seal();
    else this.pump();
    return this.closePromise;
  }

  /** True while the destination is known to be unusable: new documents are dropped at once. */
  protected refuses(): boolean {
    return false;
  }

  /** Removes the `count` oldest entries as delivered. */
  protected acknowledge(count: number): void {
    this.buffer.take(count);
    if (this.buffer.length === 0) this.seal();
  }

  /** Removes the `count` oldest entries as dropped. */
  protected dropOldest(count: number): void {
    this.buffer.drop(count);
    if (this.buffer.length === 0) this.seal();
  }

  /** Pumps in {@link PUMP_DELAY_MS}; one timer, started again for each batch instead of a new one. */
  protected schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    if (this.pumpTimer) {
      this.pumpTimer.refresh();
      return;
    }
    this.pumpTimer = this.settings.clock.setTimeout(() => {
      this.pumpScheduled = false;
      if (this.lifecycle !== "closed") this.pump();
    }, PUMP_DELAY_MS);
    this.pumpTimer.unref();
  }

  /** Resolves close(): drops what is left, releases every handle. */
  protected finishClose(reason: "drained" | "deadline"): void {
    if (this.lifecycle === "closed") return;
    this.lifecycle = "closed";
    this.settings.clock.clearTimeout(this.deadlineTimer);
    this.settings.clock.clearTimeout(this.pumpTimer);
    const left = this.buffer.length;
    if (left > 0) {
      this.settings.logger.warn({ documents: left, reason }, "EMF documents dropped at close");
      this.buffer.drop(left);
    }
    this.release();
    this.resolveClose?.();
  }

  /** Moves entries towards the destination as far as it accepts them now. */
  protected abstract pump(): void;
  /** close() was called: make the pending work keep the process alive until the deadline. */
  protected abstract onClosing(): void;
  /** Draining emptied the buffer: release the destination, then call `finishClose("drained")`. */
  protected abstract onSealed(): void;
  /** Releases sockets and timers. */
  protected abstract release(): void;

  /** Draining emptied the buffer. */
  private seal(): void {
    if (this.lifecycle !== "draining") return;
    this.lifecycle = "sealed";
    this.onSealed();
  }
}
