/** The part of a `net.Socket` the TCP transport uses; unit tests give a fake. */
export interface AgentSocket {
  connect(port: number, host: string): unknown;
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
  end(): unknown;
  destroy(): unknown;
  ref(): unknown;
  unref(): unknown;
  setNoDelay(noDelay: boolean): unknown;
  setKeepAlive(enable: boolean, initialDelayMs: number): unknown;
  resume(): unknown;
  /** Bytes queued in the socket and not yet handed to the kernel. */
  readonly writableLength: number;
  /** `write` returned false and 'drain' has not come yet. */
  readonly writableNeedDrain: boolean;
  on(event: "connect" | "drain" | "end" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * The states of the connection to the agent. `state` is assigned only in {@link TcpTransport.enter},
 * which checks every transition against this table and runs the new state's entry actions.
 *
 * - `idle`: no socket and nothing to write.
 * - `backoff`: no socket; a reconnect is scheduled after a connection that failed.
 * - `connecting`: a socket is connecting.
 * - `open`: connected; lines are written and stay in the buffer, unconfirmed.
 * - `confirming`: we half-closed (sent FIN) and wait for the agent's FIN.
 * - `confirmed`: the agent's FIN arrived; the socket is closing. Without an error its lines are delivered.
 * - `stopped`: close() finished; no socket, no timer.
 */
export type TcpState = "idle" | "backoff" | "connecting" | "open" | "confirming" | "confirmed" | "stopped";

/** The transitions `enter` allows, by state. */
export const TRANSITIONS: Readonly<Record<TcpState, readonly TcpState[]>> = {
  idle: ["connecting", "stopped"],
  backoff: ["connecting", "idle", "stopped"],
  connecting: ["open", "backoff", "idle", "stopped"],
  open: ["confirming", "confirmed", "backoff", "idle", "stopped"],
  confirming: ["confirmed", "backoff", "idle", "stopped"],
  confirmed: ["connecting", "backoff", "idle", "stopped"],
  stopped: [],
};

/**
 * How long the transport waits, with everything written, before asking the agent to confirm. Short,
 * so aggregate mode's bursts are confirmed within milliseconds; long enough that steady request-mode
 * traffic (a document every few ms) waits for `confirmIntervalMs` instead of reconnecting per document.
 */
export const IDLE_CONFIRM_MS = 50;

/** One socket to the agent and what was written on it. */
export interface Connection {
  readonly socket: AgentSocket;
  /** The oldest buffered lines, written on this connection and awaiting its confirmation. */
  written: number;
  /** Their cost in the buffer's accounting. */
  writtenCost: number;
  /** When the connection last made progress (connected, or the kernel took a write), in clock ms. */
  progressAt: number;
  /** The first error, or why the transport gave the connection up. */
  error: Error | undefined;
}
