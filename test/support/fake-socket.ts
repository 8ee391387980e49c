/**
 * A stand-in for the `net.Socket` the TCP transport connects to the agent with, driven by the test:
 * it connects, takes writes, sends the agent's FIN or a reset when told to, and records what the
 * transport did with it. Events are emitted as Node does: 'close' after 'end' or 'error', never
 * synchronously inside the transport's own call.
 */
import { EventEmitter } from "node:events";
import type { AgentSocket } from "../../app/metrics/transport/tcp-states";

/** What the transport did with one fake socket. */
export class FakeSocket extends EventEmitter implements AgentSocket {
  /** Chunks written, in order. */
  readonly chunks: string[] = [];
  /** `connect` was called with this port and host. */
  target: { port: number; host: string } | undefined;
  /** The transport half-closed the connection (sent FIN). */
  ended = false;
  /** The transport destroyed the socket. */
  destroyed = false;
  /** Whether the socket keeps a process alive. */
  referenced = true;
  /** While true, writes stay queued (`writableLength` > 0) and their callbacks wait: a peer that does not read. */
  stalled = false;
  /** Bytes queued before `write` returns false. */
  highWaterMark = 16 * 1024;
  private queued: { chunk: string; callback: (error?: Error | null) => void }[] = [];
  private closed = false;
  private drainPending = false;

  /** The lines written so far, without their newlines. */
  get lines(): string[] {
    return this.chunks.join("").split("\n").filter(Boolean);
  }

  get writableLength(): number {
    return this.queued.reduce((sum, q) => sum + Buffer.byteLength(q.chunk), 0);
  }

  get writableNeedDrain(): boolean {
    return this.drainPending;
  }

  connect(port: number, host: string): this {
    this.target = { port, host };
    return this;
  }

  write(chunk: string, callback: (error?: Error | null) => void): boolean {
    if (this.ended || this.destroyed) {
      queueMicrotask(() => callback(new Error("write after end")));
      return false;
    }
    this.chunks.push(chunk);
    this.queued.push({ chunk, callback });
    if (this.writableLength >= this.highWaterMark) this.drainPending = true;
    if (!this.stalled) queueMicrotask(() => this.flushQueued());
    return !this.drainPending;
  }

  end(): this {
    this.ended = true;
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.finish();
    return this;
  }

  ref(): this {
    this.referenced = true;
    return this;
  }

  unref(): this {
    this.referenced = false;
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  resume(): this {
    return this;
  }

  /** The agent accepted the connection. */
  accept(): void {
    this.emit("connect");
  }

  /** The peer starts reading again: queued writes complete, 'drain' follows if it was needed. */
  unstall(): void {
    this.stalled = false;
    this.flushQueued();
  }

  /** The agent read to the end and closed: its FIN, then the socket closes. */
  finFromAgent(): void {
    this.emit("end");
    this.ended = true;
    this.finish();
  }

  /** The agent reset the connection. */
  resetByAgent(): void {
    this.emit("error", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    this.finish();
  }

  /** Connecting failed. */
  refuse(): void {
    this.emit("error", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    this.finish();
  }

  private flushQueued(): void {
    if (this.stalled || this.destroyed) return;
    const done = this.queued;
    this.queued = [];
    for (const { callback } of done) callback(null);
    if (this.drainPending) {
      this.drainPending = false;
      this.emit("drain");
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.emit("close"));
  }
}
