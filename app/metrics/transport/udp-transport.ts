import * as dgram from "node:dgram";
import * as net from "node:net";
import type { Timer } from "../clock";
import { Backoff } from "./backoff";
import { BufferedTransport } from "./buffered-transport";
import type { AgentEndpoint, TransportSettings } from "./transport";

/** UDP datagrams handed to the kernel and not yet confirmed by their send callback. */
const MAX_UDP_IN_FLIGHT = 64;

/**
 * The states of the UDP socket: `idle` (none yet), `connecting`, `open`, `backoff` (reopening after a
 * socket error) and `stopped` (close() finished). Assigned only in `enter`.
 */
type UdpState = "idle" | "connecting" | "open" | "backoff" | "stopped";

/**
 * One datagram per document to the agent's UDP listener. A document is "sent" once its send callback
 * reports success; an absent agent loses datagrams silently (UDP gives no delivery signal), and send
 * errors (such as ECONNREFUSED after an ICMP port-unreachable) drop that document, counted. At most
 * {@link MAX_UDP_IN_FLIGHT} datagrams wait in the kernel queue at once; the rest wait in the buffer.
 */
export class UdpTransport extends BufferedTransport {
  private state: UdpState = "idle";
  private socket: dgram.Socket | undefined;
  private inFlight = 0;
  private errorLogged = false;
  private readonly backoff: Backoff;
  private reconnectTimer: Timer | undefined;

  constructor(
    private readonly endpoint: AgentEndpoint,
    settings: TransportSettings,
  ) {
    super(settings);
    this.backoff = new Backoff(settings);
  }

  protected pump(): void {
    if (this.state === "idle" && this.buffer.length > 0) this.enter("connecting");
    else if (this.state === "open") this.write(this.socket as dgram.Socket);
  }

  protected onClosing(): void {
    this.socket?.ref();
    if (this.state === "backoff") this.enter(this.buffer.length > 0 ? "connecting" : "idle");
  }

  protected onSealed(): void {
    this.finishClose("drained");
  }

  protected release(): void {
    this.enter("stopped");
  }

  /** The only place `state` changes; runs the entry actions of `next`. */
  private enter(next: UdpState): void {
    if (this.state === "stopped") return;
    if (this.state === "backoff") this.settings.clock.clearTimeout(this.reconnectTimer);
    this.state = next;
    if (next === "connecting") this.open();
    else if (next === "open") this.write(this.socket as dgram.Socket);
    else if (next === "backoff") {
      this.reconnectTimer = this.settings.clock.setTimeout(
        () => this.enter(this.buffer.length > 0 ? "connecting" : "idle"),
        this.backoff.next(this.lifecycle === "draining"),
      );
      if (this.lifecycle === "running") this.reconnectTimer.unref();
    } else if (next === "stopped") {
      this.settings.clock.clearTimeout(this.reconnectTimer);
      this.socket?.close();
      this.socket = undefined;
    }
  }

  private open(): void {
    const socket = dgram.createSocket(net.isIPv6(this.endpoint.host) ? "udp6" : "udp4");
    this.socket = socket;
    this.inFlight = 0;
    socket.on("error", (error) => this.onSocketError(socket, error));
    if (this.lifecycle === "running") socket.unref();
    socket.connect(this.endpoint.port, this.endpoint.host, () => {
      if (socket !== this.socket) return;
      this.backoff.reset();
      this.enter("open");
    });
  }

  private write(socket: dgram.Socket): void {
    while (this.inFlight < MAX_UDP_IN_FLIGHT && this.inFlight < this.buffer.length) {
      const entry = this.buffer.entry(this.inFlight);
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
    this.inFlight = 0;
    socket.close();
    this.enter("backoff");
  }
}
