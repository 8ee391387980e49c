import * as net from "node:net";
import type { Timer } from "../clock";
import { Backoff } from "./backoff";
import { BufferedTransport } from "./buffered-transport";
import { type AgentSocket, type Connection, IDLE_CONFIRM_MS, type TcpState, TRANSITIONS } from "./tcp-states";
import type { AgentEndpoint, TransportSettings } from "./transport";

/**
 * Newline-delimited JSON over TCP to the agent, with delivery confirmed by the agent itself.
 *
 * The agent's EMF listener (the OpenTelemetry `tcplog` receiver) never answers, and "the kernel accepted
 * the bytes" is not delivery: bytes in socket buffers vanish when the connection is reset, and an agent
 * that accepts but never reads leaves megabytes there. What the agent does give is its FIN: it reads a
 * connection line by line until end-of-file and only then closes it, and a socket closed with unread data
 * sends RST instead of FIN. A FIN therefore means "read into the agent's memory", not "delivered to
 * CloudWatch". So:
 *
 * - Written lines stay in the buffer, unconfirmed. When nothing more has come to write for
 *   {@link IDLE_CONFIRM_MS}, `confirmIntervalMs` after the first of them at the latest, once they fill a
 *   quarter of the buffer, and at close(), the transport half-closes the connection and waits up to
 *   `confirmTimeoutMs` for the agent's FIN. A connection that ends with the agent's FIN and no error
 *   confirms every line it carried: they count as sent. The next connection starts at once.
 * - A connection that ends any other way (RST, EPIPE, no progress for `writeTimeoutMs` while connecting
 *   or writing, no FIN within `confirmTimeoutMs`) puts its lines back, counted as `retried`, and they are
 *   written again from the first one on the next connection (capped exponential backoff with jitter;
 *   only a confirmation resets it). Delivery is at-least-once.
 * - An 'error' listener is attached to every socket before it connects. Writing stops while the socket
 *   needs 'drain'. The socket is unref'd except during close().
 */
export class TcpTransport extends BufferedTransport {
  private state: TcpState = "idle";
  private connection: Connection | undefined;
  private readonly backoff: Backoff;
  private healthy = true;
  private reconnectTimer: Timer | undefined;
  private watchdogTimer: Timer | undefined;
  private confirmTimer: Timer | undefined;
  private idleTimer: Timer | undefined;

  constructor(
    private readonly endpoint: AgentEndpoint,
    settings: TransportSettings,
    private readonly createSocket: () => AgentSocket = () => new net.Socket(),
    random: () => number = Math.random,
  ) {
    super(settings);
    this.backoff = new Backoff(settings, random);
  }

  /** The connection's state, for tests and diagnostics. */
  get connectionState(): TcpState {
    return this.state;
  }

  protected pump(): void {
    if (this.state === "idle" && this.buffer.length > 0) this.enter("connecting");
    else if (this.state === "open") this.write();
  }

  protected onClosing(): void {
    this.connection?.socket.ref();
    if (this.state === "backoff") this.enter(this.buffer.length > 0 ? "connecting" : "idle");
  }

  protected onSealed(): void {
    // Nothing is buffered, so nothing awaits confirmation: an open connection can simply end, and
    // its close finishes close(); without one there is nothing to wait for.
    if (this.state === "open") this.enter("confirming");
    else if (this.state !== "confirming" && this.state !== "confirmed") this.finishClose("drained");
  }

  protected release(): void {
    if (this.state !== "stopped") this.enter("stopped");
  }

  /**
   * The only place `state` changes: checks the transition, leaves the old state, then runs the entry
   * actions of `next`. An illegal transition is a bug; it is logged rather than thrown, because it would
   * surface in a socket or timer callback, where a throw crashes the service.
   */
  private enter(next: TcpState): void {
    const previous = this.state;
    const { clock, logger, confirmTimeoutMs } = this.settings;
    if (!TRANSITIONS[previous].includes(next)) {
      logger.error({ from: previous, to: next }, "EMF TCP transport: illegal state transition");
      return;
    }
    if (previous === "backoff") clock.clearTimeout(this.reconnectTimer);
    this.state = next;
    switch (next) {
      case "idle":
        return;
      case "backoff":
        this.reconnectTimer = clock.setTimeout(
          () => {
            if (this.state === "backoff") this.enter(this.buffer.length > 0 ? "connecting" : "idle");
          },
          this.backoff.next(this.lifecycle === "draining"),
        );
        if (this.lifecycle === "running") this.reconnectTimer.unref();
        return;
      case "connecting":
        this.connect();
        return;
      case "open":
        this.write();
        return;
      case "confirming":
      case "confirmed":
        // Both wait for the socket to close, at most confirmTimeoutMs; only our own FIN is sent here.
        clock.clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
        this.confirmTimer = this.restartTimer(this.confirmTimer, confirmTimeoutMs, () => this.giveUp());
        if (next === "confirming") this.connection?.socket.end();
        return;
      case "stopped": {
        for (const timer of [this.reconnectTimer, this.watchdogTimer, this.confirmTimer, this.idleTimer])
          clock.clearTimeout(timer);
        const socket = this.connection?.socket;
        this.connection = undefined;
        socket?.destroy();
        return;
      }
    }
  }

  private connect(): void {
    const socket = this.createSocket();
    const connection: Connection = {
      socket,
      written: 0,
      writtenCost: 0,
      progressAt: this.settings.clock.now(),
      error: undefined,
    };
    this.connection = connection;
    const current = () => this.connection === connection;
    socket.on("error", (error) => {
      if (current()) connection.error ??= error;
    });
    socket.on("close", () => {
      if (current()) this.onSocketClosed(connection);
    });
    socket.on("connect", () => {
      if (!current() || this.state !== "connecting") return;
      connection.progressAt = this.settings.clock.now();
      this.enter("open");
    });
    socket.on("drain", () => {
      if (current() && this.state === "open") this.write();
    });
    // The agent's FIN: it read everything we sent before our FIN. Node answers with its own FIN, so the
    // connection takes no more writes either way.
    socket.on("end", () => {
      if (current() && (this.state === "open" || this.state === "confirming")) this.enter("confirmed");
    });
    // The agent sends nothing; reading keeps its FIN observable.
    socket.resume();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    if (this.lifecycle === "running") socket.unref();
    this.startWatchdog(connection);
    socket.connect(this.endpoint.port, this.endpoint.host);
  }

  private write(): void {
    const connection = this.connection as Connection;
    const { socket } = connection;
    while (
      !socket.writableNeedDrain &&
      connection.written < this.buffer.length &&
      !this.quarterFull(connection)
    ) {
      const { chunk, count, cost } = this.buffer.batch(connection.written);
      if (connection.written === 0) {
        this.confirmTimer = this.restartTimer(this.confirmTimer, this.settings.confirmIntervalMs, () => {
          if (this.connection === connection && this.state === "open") this.enter("confirming");
        });
      }
      // Time spent with nothing to write is no stall: progress is measured from the first pending byte.
      if (socket.writableLength === 0) connection.progressAt = this.settings.clock.now();
      connection.written += count;
      connection.writtenCost += cost;
      socket.write(chunk, (error) => {
        if (!error && this.connection === connection) connection.progressAt = this.settings.clock.now();
      });
    }
    const allWritten = connection.written > 0 && connection.written === this.buffer.length;
    if (this.quarterFull(connection) || (allWritten && this.lifecycle !== "running"))
      this.enter("confirming");
    else if (allWritten) this.armIdleTimer(connection);
  }

  /** Unconfirmed lines hold a quarter of the buffer: time to have them confirmed. */
  private quarterFull(connection: Connection): boolean {
    return (
      connection.writtenCost * 4 >= this.settings.bufferSize ||
      connection.written * 4 >= this.settings.bufferLines
    );
  }

  /** Everything is written: unless more arrives within IDLE_CONFIRM_MS, have it confirmed now. */
  private armIdleTimer(connection: Connection): void {
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = this.settings.clock.setTimeout(
      () => {
        this.idleTimer = undefined;
        if (
          this.connection === connection &&
          this.state === "open" &&
          connection.written === this.buffer.length
        )
          this.enter("confirming");
      },
      Math.min(IDLE_CONFIRM_MS, this.settings.confirmIntervalMs),
    );
    this.idleTimer.unref();
  }

  /**
   * Checks a quarter of `writeTimeoutMs` at a time whether the connection is stuck: connecting, or with
   * bytes the kernel has not taken, and no progress for `writeTimeoutMs`. One timer per connection,
   * instead of one per write.
   */
  private startWatchdog(connection: Connection): void {
    const { clock, writeTimeoutMs } = this.settings;
    this.settings.clock.clearTimeout(this.watchdogTimer);
    const timer = clock.setTimeout(
      () => {
        if (this.connection !== connection) return;
        const pending = this.state === "connecting" || connection.socket.writableLength > 0;
        if (pending && clock.now() - connection.progressAt >= writeTimeoutMs) {
          const what = this.state === "connecting" ? "connect" : "write";
          connection.error ??= new Error(`no progress for ${writeTimeoutMs} ms (${what} stalled)`);
          connection.socket.destroy();
          return;
        }
        timer.refresh();
      },
      Math.max(1, Math.floor(writeTimeoutMs / 4)),
    );
    timer.unref();
    this.watchdogTimer = timer;
  }

  /** No confirmation within `confirmTimeoutMs` of the half-close: the lines go out again elsewhere. */
  private giveUp(): void {
    const connection = this.connection;
    if (!connection) return;
    connection.error ??= new Error(
      `no confirmation from the agent within ${this.settings.confirmTimeoutMs} ms`,
    );
    connection.socket.destroy();
  }

  private onSocketClosed(connection: Connection): void {
    const { clock, logger } = this.settings;
    const carried = connection.written;
    const confirmed = this.state === "confirmed" && connection.error === undefined;
    this.connection = undefined;
    for (const timer of [this.watchdogTimer, this.confirmTimer, this.idleTimer]) clock.clearTimeout(timer);
    this.watchdogTimer = this.confirmTimer = this.idleTimer = undefined;
    if (confirmed) {
      this.backoff.reset();
      if (!this.healthy) {
        this.healthy = true;
        logger.info({ endpoint: this.describe() }, "EMF agent connection restored");
      }
      // May finish close(): then the transport is stopped and nothing is left to do.
      this.acknowledge(carried);
    } else {
      this.buffer.countRetried(carried);
      if (this.healthy) {
        this.healthy = false;
        logger.warn(
          {
            endpoint: this.describe(),
            err: connection.error ?? new Error("closed by the agent before confirming"),
            unconfirmedDocuments: carried,
            bufferedDocuments: this.buffer.length,
          },
          "EMF agent connection lost; buffering and reconnecting",
        );
      }
    }
    if (this.state === "stopped") return;
    if (this.lifecycle === "sealed") this.finishClose("drained");
    else if (this.buffer.length === 0) this.enter("idle");
    else this.enter(confirmed ? "connecting" : "backoff");
  }

  /** Clears `timer` and starts a new one; ref'd only while close() waits. */
  private restartTimer(timer: Timer | undefined, ms: number, callback: () => void): Timer {
    this.settings.clock.clearTimeout(timer);
    const next = this.settings.clock.setTimeout(callback, ms);
    if (this.lifecycle === "running") next.unref();
    return next;
  }

  private describe(): string {
    return `tcp://${this.endpoint.host}:${this.endpoint.port}`;
  }
}
