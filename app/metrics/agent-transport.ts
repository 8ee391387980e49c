import * as dgram from "node:dgram";
import * as net from "node:net";
import type { Logger } from "pino";

/** Where serialized EMF documents go: the CloudWatch agent over TCP or UDP. */
export interface AgentEndpoint {
  readonly protocol: "tcp" | "udp";
  readonly host: string;
  readonly port: number;
}

/** The part of a writable stream the stream transport needs (`process.stdout` fits). */
export interface LineOutput {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
  once(event: "drain", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: "error", listener: (error: Error) => void): unknown;
}

/** Counters of one transport. Documents are lines; samples are the latency values they carry. */
export interface TransportCounters {
  /**
   * Documents delivered: confirmed by the agent (TCP, see {@link TcpTransport}), handed to the
   * operating system (UDP send callback), or written (stdout write callback).
   */
  readonly sent: number;
  /** Documents in the buffer: waiting, or written and awaiting confirmation. */
  readonly buffered: number;
  /** Documents dropped: buffer full, oversized, send error (UDP) or still buffered at the close deadline. */
  readonly dropped: number;
  /** Documents dropped because they were larger than `maxDocumentBytes`. */
  readonly oversized: number;
  /** Documents written again because the connection carrying them ended before the agent confirmed them. */
  readonly retried: number;
  /** Bytes the buffer accounts for: line bytes plus a fixed per-line overhead. */
  readonly bufferedBytes: number;
  /** Latency samples in sent, buffered and dropped documents. */
  readonly samples: { readonly sent: number; readonly buffered: number; readonly dropped: number };
}

/** A sink for serialized EMF documents that never blocks its caller and never throws. */
export interface Transport {
  /**
   * Buffers one document (a JSON line without its newline) carrying `samples` values.
   * Returns false when it was dropped (buffer full, oversized, transport closed).
   */
  send(line: string, samples: number): boolean;
  /** Delivers what is buffered until the deadline, then drops the rest (counted). Never rejects. */
  close(timeoutMs: number): Promise<void>;
  /** Current counters. */
  counters(): TransportCounters;
}

/** Settings shared by every transport; all are resolved and validated by the caller. */
export interface TransportSettings {
  /** Buffer bound in bytes (line bytes + {@link ENTRY_OVERHEAD_BYTES} per line). */
  readonly maxBufferedBytes: number;
  /** Buffer bound in lines. */
  readonly maxBufferedLines: number;
  /** Largest document accepted, newline included; larger ones are dropped and counted as oversized. */
  readonly maxDocumentBytes: number;
  /** A connect or a write that makes no progress for this long tears the connection down. */
  readonly writeTimeoutMs: number;
  /** TCP: how long after the first unconfirmed write the connection is half-closed to confirm it. */
  readonly confirmIntervalMs: number;
  /** TCP: how long to wait for the agent's FIN after half-closing before resending elsewhere. */
  readonly confirmTimeoutMs: number;
  /** First reconnect delay; doubles per failed attempt. */
  readonly reconnectMinDelayMs: number;
  /** Cap of the reconnect delay. */
  readonly reconnectMaxDelayMs: number;
  readonly logger: Logger;
}

/**
 * Memory a buffered line costs besides its bytes (the entry object and its slot), so that the byte
 * bound also bounds memory when lines are small.
 */
export const ENTRY_OVERHEAD_BYTES = 64;

/** Largest chunk handed to one `write` call; lines are never split across chunks. */
const MAX_BATCH_BYTES = 64 * 1024;

/** How long a new document may wait for others to share its write. */
const PUMP_DELAY_MS = 5;

/**
 * TCP: how long the transport waits, with everything written, before asking the agent to confirm. Short,
 * so aggregate mode's bursts are confirmed within milliseconds; long enough that steady request-mode
 * traffic (a document every few ms) waits for `confirmIntervalMs` instead of reconnecting per document.
 */
const IDLE_CONFIRM_MS = 50;

/** UDP datagrams handed to the kernel and not yet confirmed by their send callback. */
const MAX_UDP_IN_FLIGHT = 64;

interface Entry {
  /** The document followed by its newline. */
  readonly data: string;
  readonly bytes: number;
  readonly samples: number;
}

/** The bounded FIFO of documents and its counters; subclasses move entries out of it. */
abstract class BufferedTransport implements Transport {
  private items: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private bufferedSamples = 0;
  private sentCount = 0;
  private sentSamples = 0;
  private droppedCount = 0;
  private droppedSamples = 0;
  private oversizedCount = 0;
  private retriedCount = 0;
  private pumpScheduled = false;
  private dropWarned = false;
  /** Set once close() is called. */
  protected closing = false;
  /** Set once close() has drained the buffer and is ending the connection: new documents are dropped. */
  private sealed = false;
  /** Set once close() has finished: everything is dropped from then on. */
  protected closed = false;
  private closePromise: Promise<void> | undefined;
  private resolveClose: (() => void) | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(protected readonly settings: TransportSettings) {}

  send(line: string, samples: number): boolean {
    const data = `${line}\n`;
    const bytes = Buffer.byteLength(data);
    if (this.closed || this.sealed || this.refuses()) {
      this.countDropped(1, samples);
      return false;
    }
    if (bytes > this.settings.maxDocumentBytes) {
      this.oversizedCount++;
      this.countDropped(1, samples);
      this.settings.logger.warn(
        { bytes, maxDocumentBytes: this.settings.maxDocumentBytes },
        "EMF document larger than maxDocumentBytes dropped",
      );
      return false;
    }
    const cost = bytes + ENTRY_OVERHEAD_BYTES;
    if (this.bytes + cost > this.settings.maxBufferedBytes || this.length >= this.settings.maxBufferedLines) {
      this.countDropped(1, samples);
      if (!this.dropWarned) {
        this.dropWarned = true;
        this.settings.logger.warn(
          { bufferedBytes: this.bytes, bufferedLines: this.length },
          "EMF buffer full: dropping new documents until the agent catches up",
        );
      }
      return false;
    }
    this.items.push({ data, bytes: cost, samples });
    this.bytes += cost;
    this.bufferedSamples += samples;
    this.schedulePump();
    return true;
  }

  counters(): TransportCounters {
    return {
      sent: this.sentCount,
      buffered: this.length,
      dropped: this.droppedCount,
      oversized: this.oversizedCount,
      retried: this.retriedCount,
      bufferedBytes: this.bytes,
      samples: { sent: this.sentSamples, buffered: this.bufferedSamples, dropped: this.droppedSamples },
    };
  }

  close(timeoutMs: number): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closing = true;
    this.closePromise = new Promise<void>((resolve) => {
      this.resolveClose = resolve;
    });
    // Ref'd on purpose: a process awaiting close() must stay alive until the deadline, and no longer.
    this.deadlineTimer = setTimeout(() => this.finishClose("deadline"), timeoutMs);
    this.onClosing();
    if (this.length === 0) this.seal();
    else this.pump();
    return this.closePromise;
  }

  /** True while the destination is known to be unusable: new documents are dropped at once. */
  protected refuses(): boolean {
    return false;
  }

  /** Number of buffered entries, written-but-unconfirmed ones included. */
  protected get length(): number {
    return this.items.length - this.head;
  }

  /** The entry `index` positions after the oldest one. */
  protected entryAt(index: number): Entry {
    return this.items[this.head + index] as Entry;
  }

  /**
   * Joins entries from `from` into one chunk of at most MAX_BATCH_BYTES (at least one entry); `bytes`
   * is their cost in the buffer's accounting.
   */
  protected batchFrom(from: number): { chunk: string; count: number; bytes: number } {
    let chunk = "";
    let count = 0;
    let bytes = 0;
    for (let i = from; i < this.length; i++) {
      const entry = this.entryAt(i);
      if (count > 0 && bytes + entry.bytes > MAX_BATCH_BYTES) break;
      chunk += entry.data;
      bytes += entry.bytes;
      count++;
    }
    return { chunk, count, bytes };
  }

  /** Removes the `count` oldest entries as delivered. */
  protected acknowledge(count: number): void {
    for (let i = 0; i < count && this.length > 0; i++) {
      const entry = this.shift();
      this.sentCount++;
      this.sentSamples += entry.samples;
    }
    if (this.length === 0) {
      // The next time the buffer overflows is a new episode worth a warning.
      this.dropWarned = false;
      if (this.closing) this.seal();
    }
  }

  /** Counts `count` entries that go back to be written again. */
  protected countRetried(count: number): void {
    this.retriedCount += count;
  }

  /** Removes the `count` oldest entries as dropped. */
  protected dropOldest(count: number): void {
    for (let i = 0; i < count && this.length > 0; i++) {
      const entry = this.shift();
      this.countDropped(1, entry.samples);
    }
    if (this.closing && this.length === 0) this.seal();
  }

  protected schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // Documents recorded within PUMP_DELAY_MS share one write (one syscall) instead of one each.
    setTimeout(() => {
      this.pumpScheduled = false;
      if (!this.closed) this.pump();
    }, PUMP_DELAY_MS).unref();
  }

  /** Resolves close(): drops what is left, releases every handle. */
  protected finishClose(reason: "drained" | "deadline"): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.deadlineTimer);
    const left = this.length;
    if (left > 0) {
      this.settings.logger.warn({ documents: left, reason }, "EMF documents dropped at close");
      this.dropOldest(left);
    }
    this.release();
    this.resolveClose?.();
  }

  /** Moves entries towards the destination as far as it accepts them now. */
  protected abstract pump(): void;
  /** close() was called: make the pending work keep the process alive until the deadline. */
  protected abstract onClosing(): void;
  /** close() was called and nothing is buffered any more. */
  protected abstract onDrainedWhileClosing(): void;
  /** Releases sockets and timers. */
  protected abstract release(): void;

  private seal(): void {
    if (this.sealed || this.closed) return;
    this.sealed = true;
    this.onDrainedWhileClosing();
  }

  private shift(): Entry {
    const entry = this.items[this.head] as Entry;
    this.head++;
    this.bytes -= entry.bytes;
    this.bufferedSamples -= entry.samples;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  private countDropped(documents: number, samples: number): void {
    this.droppedCount += documents;
    this.droppedSamples += samples;
  }
}

/** The delay before reconnect attempt `attempt` (0-based): capped exponential with equal jitter. */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * A socket to the agent (TCP or UDP) that is replaced after a failure, with capped exponential backoff
 * and jitter between attempts. Subclasses open the socket, write to it once it is connected, and reset
 * `attempt` on whatever proves the agent healthy.
 */
abstract class AgentSocketTransport<S extends { ref(): unknown }> extends BufferedTransport {
  protected socket: S | undefined;
  protected connected = false;
  /** Reconnect attempts since the agent last proved healthy. */
  protected attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    protected readonly endpoint: AgentEndpoint,
    settings: TransportSettings,
  ) {
    super(settings);
  }

  protected pump(): void {
    if (this.closed) return;
    if (!this.socket) {
      if (this.length > 0 && !this.reconnectTimer) this.open();
      return;
    }
    if (this.connected) this.write(this.socket);
  }

  protected onClosing(): void {
    this.socket?.ref();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  protected release(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) this.dispose(socket);
  }

  /** Opens a new socket after the backoff delay (the minimum while closing, to meet the deadline). */
  protected scheduleReconnect(): void {
    const { reconnectMinDelayMs, reconnectMaxDelayMs } = this.settings;
    const delay = this.closing
      ? reconnectMinDelayMs
      : backoffDelayMs(this.attempt, reconnectMinDelayMs, reconnectMaxDelayMs);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.pump();
    }, delay);
    if (!this.closing) this.reconnectTimer.unref();
  }

  /** Creates `this.socket` and starts connecting it. */
  protected abstract open(): void;
  /** Moves entries to the connected socket as far as it accepts them now. */
  protected abstract write(socket: S): void;
  /** Closes a socket that is no longer `this.socket`. */
  protected abstract dispose(socket: S): void;
}

/**
 * Newline-delimited JSON over TCP to the agent, with delivery confirmed by the agent itself.
 *
 * The agent's EMF listener never answers, and "the kernel accepted the bytes" is not delivery: bytes
 * in socket buffers vanish when the connection is reset, and an agent that accepts but never reads
 * (or is restarted) leaves megabytes there (about 4 MB on Linux loopback, measured). What the agent
 * does give is its FIN: it reads a connection until end-of-file and only then closes it (the
 * collector's stanza TCP input scans lines until EOF, then closes), and a socket closed with unread
 * data sends RST instead of FIN. So:
 *
 * - Written lines stay in the buffer, unconfirmed. When nothing more has come to write for
 *   {@link IDLE_CONFIRM_MS}, `confirmIntervalMs` after the first of them at the latest, once they fill a
 *   quarter of the buffer, and at close(), the transport half-closes the connection (stops writing,
 *   sends FIN) and waits up to `confirmTimeoutMs` for the agent's FIN. A connection that ends with the
 *   agent's FIN and no error confirms every line it carried: they count as sent. The next connection
 *   starts at once.
 * - A connection that ends any other way (RST, EPIPE, no progress for `writeTimeoutMs` while
 *   connecting or writing, no FIN within `confirmTimeoutMs`) puts its lines back, counted as
 *   `retried`, and they are written again from the first one on the next connection (capped
 *   exponential backoff with jitter; only a confirmation resets it). Delivery is at-least-once: an
 *   agent that read some of those lines before it failed receives them twice; at most one interval of
 *   documents is ever resent, and in aggregate mode's bursts usually none.
 * - An 'error' listener is attached to every socket before it connects. Writing stops when
 *   `socket.write` returns false and resumes on 'drain'. The socket is unref'd except during close().
 */
export class TcpTransport extends AgentSocketTransport<net.Socket> {
  /** Oldest buffered entries already written on this connection and awaiting its confirmation. */
  private written = 0;
  private writtenBytes = 0;
  private blocked = false;
  /** We sent FIN on this connection and wait for the agent's. */
  private halfClosed = false;
  /** The agent's FIN arrived on this connection: it takes no more writes. */
  private finReceived = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private healthy = true;
  private lastError: Error | undefined;

  protected write(socket: net.Socket): void {
    if (this.halfClosed || this.finReceived) return;
    while (!this.blocked && this.written < this.length && !this.full()) {
      const { chunk, count, bytes } = this.batchFrom(this.written);
      if (this.written === 0) this.armConfirmTimer(this.settings.confirmIntervalMs);
      this.written += count;
      this.writtenBytes += bytes;
      this.armStallTimer();
      const accepted = socket.write(chunk, (error) => this.onWritten(socket, error));
      if (!accepted) this.blocked = true;
    }
    if (this.full() || (this.closing && this.written > 0 && this.written === this.length)) this.halfClose();
    else if (this.written > 0 && this.written === this.length) this.armIdleTimer();
  }

  protected onDrainedWhileClosing(): void {
    // Nothing is buffered, so nothing awaits confirmation: the connection can simply end.
    const socket = this.socket;
    if (!socket || !this.connected) {
      this.finishClose("drained");
      return;
    }
    socket.end(() => this.finishClose("drained"));
  }

  protected release(): void {
    clearTimeout(this.stallTimer);
    clearTimeout(this.confirmTimer);
    clearTimeout(this.idleTimer);
    this.stallTimer = undefined;
    this.confirmTimer = undefined;
    this.idleTimer = undefined;
    super.release();
  }

  protected dispose(socket: net.Socket): void {
    socket.destroy();
  }

  /** Unconfirmed lines hold a quarter of the buffer: time to have them confirmed. */
  private full(): boolean {
    return (
      this.writtenBytes * 4 >= this.settings.maxBufferedBytes ||
      this.written * 4 >= this.settings.maxBufferedLines
    );
  }

  protected open(): void {
    const socket = new net.Socket();
    this.socket = socket;
    this.connected = false;
    this.written = 0;
    this.writtenBytes = 0;
    this.blocked = false;
    this.halfClosed = false;
    this.finReceived = false;
    this.lastError = undefined;
    socket.on("error", (error) => {
      if (socket === this.socket) this.lastError ??= error;
    });
    socket.on("close", () => this.onSocketClosed(socket));
    socket.on("drain", () => {
      if (socket !== this.socket) return;
      this.blocked = false;
      this.pump();
    });
    socket.on("end", () => {
      if (socket !== this.socket) return;
      // Node answers with our own FIN; writing after it would fail, so this connection is done.
      this.finReceived = true;
    });
    socket.on("connect", () => {
      if (socket !== this.socket) return;
      this.connected = true;
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      this.pump();
    });
    // The agent sends nothing; reading keeps its FIN observable.
    socket.resume();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    if (!this.closing) socket.unref();
    this.armStallTimer();
    socket.connect(this.endpoint.port, this.endpoint.host);
  }

  private onWritten(socket: net.Socket, error: Error | null | undefined): void {
    if (socket !== this.socket || error) return;
    if (this.blocked || socket.writableLength > 0) this.stallTimer?.refresh();
    else {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
    }
  }

  /** Stops writing and sends FIN; the agent answers with its own once it has read every line. */
  private halfClose(): void {
    const socket = this.socket;
    if (!socket || !this.connected || this.halfClosed || this.finReceived || this.written === 0) return;
    this.halfClosed = true;
    this.armConfirmTimer(this.settings.confirmTimeoutMs);
    socket.end();
  }

  private onSocketClosed(socket: net.Socket): void {
    if (socket !== this.socket) return;
    const confirmed = this.finReceived && !this.lastError;
    const carried = this.written;
    this.socket = undefined;
    this.connected = false;
    this.written = 0;
    this.writtenBytes = 0;
    this.blocked = false;
    this.halfClosed = false;
    this.finReceived = false;
    clearTimeout(this.stallTimer);
    clearTimeout(this.confirmTimer);
    clearTimeout(this.idleTimer);
    this.stallTimer = undefined;
    this.confirmTimer = undefined;
    this.idleTimer = undefined;
    if (this.closed) return;
    if (confirmed) {
      this.attempt = 0;
      if (!this.healthy) {
        this.healthy = true;
        this.settings.logger.info({ endpoint: this.describe() }, "EMF agent connection restored");
      }
      // Finishes close() when nothing is left; otherwise the rest goes on a new connection at once.
      this.acknowledge(carried);
      if (!this.closed && this.length > 0) this.open();
      return;
    }
    this.countRetried(carried);
    if (this.healthy) {
      this.healthy = false;
      this.settings.logger.warn(
        {
          endpoint: this.describe(),
          err: this.lastError ?? new Error("closed by the agent before confirming"),
          unconfirmedDocuments: carried,
          bufferedDocuments: this.length,
        },
        "EMF agent connection lost; buffering and reconnecting",
      );
    }
    this.lastError = undefined;
    if (this.length > 0) this.scheduleReconnect();
    else if (this.closing) this.finishClose("drained");
  }

  private armStallTimer(): void {
    if (this.stallTimer) return;
    const socket = this.socket;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (!socket || socket !== this.socket) return;
      this.lastError ??= new Error(
        `no progress for ${this.settings.writeTimeoutMs} ms (${this.connected ? "write" : "connect"} stalled)`,
      );
      socket.destroy();
    }, this.settings.writeTimeoutMs);
    this.stallTimer.unref();
  }

  /** Everything is written: unless more arrives within IDLE_CONFIRM_MS, have it confirmed now. */
  private armIdleTimer(): void {
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    const socket = this.socket;
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = undefined;
        if (socket === this.socket && this.written === this.length) this.halfClose();
      },
      Math.min(IDLE_CONFIRM_MS, this.settings.confirmIntervalMs),
    );
    this.idleTimer.unref();
  }

  /** `confirmIntervalMs` after the first write: half-close; `confirmTimeoutMs` after that: give up. */
  private armConfirmTimer(ms: number): void {
    clearTimeout(this.confirmTimer);
    const socket = this.socket;
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = undefined;
      if (!socket || socket !== this.socket) return;
      if (!this.halfClosed) {
        this.halfClose();
        return;
      }
      this.lastError ??= new Error(
        `no confirmation from the agent within ${this.settings.confirmTimeoutMs} ms`,
      );
      socket.destroy();
    }, ms);
    this.confirmTimer.unref();
  }

  private describe(): string {
    return `tcp://${this.endpoint.host}:${this.endpoint.port}`;
  }
}

/**
 * One datagram per document to the agent's UDP listener. A document is "sent" once its send callback
 * reports success; an absent agent loses datagrams silently (UDP gives no delivery signal), and send
 * errors (such as ECONNREFUSED after an ICMP port-unreachable) drop that document, counted. At most
 * {@link MAX_UDP_IN_FLIGHT} datagrams wait in the kernel queue at once; the rest wait in the buffer.
 */
export class UdpTransport extends AgentSocketTransport<dgram.Socket> {
  private inFlight = 0;
  private errorLogged = false;

  protected write(socket: dgram.Socket): void {
    while (this.inFlight < MAX_UDP_IN_FLIGHT && this.inFlight < this.length) {
      const entry = this.entryAt(this.inFlight);
      this.inFlight++;
      try {
        socket.send(entry.data, (error) => this.onSent(socket, error));
      } catch (error) {
        // Only a socket closed under us throws synchronously: the datagram is lost like a failed send.
        this.settings.logger.warn({ err: error }, "EMF datagram not sent; dropping it");
        this.inFlight--;
        this.dropOldest(1);
        break;
      }
    }
  }

  protected onDrainedWhileClosing(): void {
    this.finishClose("drained");
  }

  protected dispose(socket: dgram.Socket): void {
    socket.close();
  }

  protected open(): void {
    const socket = dgram.createSocket(net.isIPv6(this.endpoint.host) ? "udp6" : "udp4");
    this.socket = socket;
    this.connected = false;
    this.inFlight = 0;
    socket.on("error", (error) => this.onSocketError(socket, error));
    if (!this.closing) socket.unref();
    socket.connect(this.endpoint.port, this.endpoint.host, () => {
      if (socket !== this.socket) return;
      this.connected = true;
      this.attempt = 0;
      this.pump();
    });
  }

  private onSent(socket: dgram.Socket, error: Error | null): void {
    if (socket !== this.socket) return;
    this.inFlight--;
    if (error) {
      if (!this.errorLogged) {
        this.errorLogged = true;
        this.settings.logger.warn({ err: error }, "EMF datagram not sent; dropping it");
      }
      this.dropOldest(1);
    } else {
      this.errorLogged = false;
      this.acknowledge(1);
    }
    this.pump();
  }

  private onSocketError(socket: dgram.Socket, error: Error): void {
    if (socket !== this.socket) return;
    this.settings.logger.warn({ err: error }, "EMF UDP socket failed; reopening");
    this.socket = undefined;
    this.connected = false;
    this.inFlight = 0;
    socket.close();
    if (!this.closed) this.scheduleReconnect();
  }
}

/**
 * Newline-delimited JSON to a local stream (`process.stdout` in the `Local` environment), with the
 * same buffer, backpressure and accounting as the agent transports. The stream is never ended.
 */
export class StreamTransport extends BufferedTransport {
  private inFlight = 0;
  private blocked = false;
  private failed = false;
  private readonly onError = (error: Error): void => {
    if (this.failed) return;
    this.failed = true;
    this.settings.logger.error({ err: error }, "EMF output stream failed; dropping documents");
    this.dropOldest(this.length);
  };

  constructor(
    private readonly output: LineOutput,
    settings: TransportSettings,
  ) {
    super(settings);
    output.on("error", this.onError);
  }

  protected refuses(): boolean {
    return this.failed;
  }

  protected pump(): void {
    while (!this.failed && !this.blocked && this.inFlight < this.length) {
      const { chunk, count } = this.batchFrom(this.inFlight);
      this.inFlight += count;
      const accepted = this.output.write(chunk, (error) => {
        if (error || this.failed) return;
        this.inFlight -= count;
        this.acknowledge(count);
      });
      if (!accepted) {
        this.blocked = true;
        this.output.once("drain", () => {
          this.blocked = false;
          if (!this.closed) this.pump();
        });
      }
    }
  }

  protected onClosing(): void {}

  protected onDrainedWhileClosing(): void {
    this.finishClose("drained");
  }

  protected release(): void {
    this.output.removeListener("error", this.onError);
  }
}
