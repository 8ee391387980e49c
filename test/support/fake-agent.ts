/**
 * A stand-in for the CloudWatch agent's EMF listener: a real TCP or UDP server on 127.0.0.1 that
 * collects newline-delimited lines and can misbehave on demand (not listen, close or reset
 * connections, accept and never read, restart on the same port). Used by the metrics tests, the
 * server and end-to-end tests and the benchmarks.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";

/** What the agent does with a new TCP connection. */
export type FakeAgentBehaviour =
  /** Read and collect lines. */
  | "read"
  /** Close it gracefully (FIN) right after accepting. */
  | "close"
  /** Reset it (RST) right after accepting. */
  | "reset"
  /** Accept and never read: the connection's buffers fill up and writes stop progressing. */
  | "stall";

/** Options of {@link FakeAgent.start}. */
export interface FakeAgentOptions {
  /** @default "tcp" */
  readonly protocol?: "tcp" | "udp";
  /** Listen at once; otherwise a free port is reserved and {@link FakeAgent.listen} starts it. @default true */
  readonly listen?: boolean;
  /** Behaviour for new TCP connections. @default "read" */
  readonly behaviour?: FakeAgentBehaviour;
  /** Port to use. @default - a free ephemeral port */
  readonly port?: number;
  /**
   * Keep the lines (for assertions); when false only bytes and newlines are counted, which keeps a
   * benchmark's load generator sharing the process from paying for the agent's memory. @default true
   */
  readonly collect?: boolean;
}

const HOST = "127.0.0.1";

/** A free TCP port on loopback (bound, then released). */
export async function reservePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function countNewlines(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++;
  return count;
}

/** A fake CloudWatch agent; see the module comment. */
export class FakeAgent {
  /** How new TCP connections are treated; can be changed at any time. */
  behaviour: FakeAgentBehaviour;
  private readonly received: string[] = [];
  private readonly fragments: string[] = [];
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private udp: dgram.Socket | undefined;
  private bytes = 0;
  private accepted = 0;
  private datagrams = 0;
  private errors = 0;
  private newlines = 0;

  private constructor(
    readonly protocol: "tcp" | "udp",
    readonly port: number,
    behaviour: FakeAgentBehaviour,
    private readonly collect: boolean,
  ) {
    this.behaviour = behaviour;
  }

  /** Creates an agent on a free (or the given) port, listening unless `listen: false`. */
  static async start(options: FakeAgentOptions = {}): Promise<FakeAgent> {
    const protocol = options.protocol ?? "tcp";
    const port = options.port ?? (await reservePort());
    const agent = new FakeAgent(protocol, port, options.behaviour ?? "read", options.collect ?? true);
    if (options.listen ?? true) await agent.listen();
    return agent;
  }

  /** The endpoint option for the middleware, e.g. `tcp://127.0.0.1:43210`. */
  get endpoint(): string {
    return `${this.protocol}://${HOST}:${this.port}`;
  }

  /** Complete lines received, in arrival order. */
  get lines(): readonly string[] {
    return this.received;
  }

  /** Bytes received, complete lines or not. */
  get bytesReceived(): number {
    return this.bytes;
  }

  /** Newline characters received: the number of lines, also when lines are not collected. */
  get linesCounted(): number {
    return this.newlines;
  }

  /** Text left without a newline when a connection ended: half lines. */
  get partialLines(): readonly string[] {
    return this.fragments;
  }

  /** TCP connections accepted so far. */
  get connectionsAccepted(): number {
    return this.accepted;
  }

  /** UDP datagrams received so far. */
  get datagramsReceived(): number {
    return this.datagrams;
  }

  /** Errors on accepted connections (such as a client's reset). */
  get connectionErrors(): number {
    return this.errors;
  }

  /** TCP connections currently open. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Whether the agent is listening. */
  get listening(): boolean {
    return this.server !== undefined || this.udp !== undefined;
  }

  /** Every line parsed as JSON. */
  documents(): Record<string, unknown>[] {
    return this.received.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Starts listening on the agent's port (again, after {@link stop}). */
  async listen(): Promise<void> {
    if (this.listening) return;
    if (this.protocol === "udp") {
      const socket = dgram.createSocket("udp4");
      socket.on("message", (message) => {
        this.bytes += message.length;
        this.datagrams++;
        this.newlines += countNewlines(message);
        if (!this.collect) return;
        for (const line of message.toString("utf8").split("\n")) if (line !== "") this.received.push(line);
      });
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(this.port, HOST, () => {
          socket.removeListener("error", reject);
          resolve();
        });
      });
      socket.on("error", () => socket.close());
      this.udp = socket;
      return;
    }
    // Paused until a behaviour reads: a paused stream would still read 16 KiB into Node's buffer, and
    // a "stall" agent must leave every byte in the kernel, as an agent that never reads does.
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, HOST, () => {
        server.removeListener("error", reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Stops listening and drops every open connection: the agent is down. */
  async stop(): Promise<void> {
    const server = this.server;
    const udp = this.udp;
    this.server = undefined;
    this.udp = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  /** Stops, then listens again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  /** Closes every open connection gracefully (FIN); the agent keeps listening. */
  closeConnections(): void {
    for (const socket of this.sockets) socket.end();
  }

  /** Resets every open connection (RST); the agent keeps listening. */
  resetConnections(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  /** Resolves once `condition` holds, polling every 10 ms; rejects after `timeoutMs` naming `what`. */
  async waitFor(condition: (agent: FakeAgent) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const started = Date.now();
    while (!condition(this)) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `fake agent: timed out after ${timeoutMs} ms waiting for ${what} (lines: ${this.received.length}, bytes: ${this.bytes})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Resolves once at least `count` lines have arrived. */
  waitForLines(count: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor((agent) => agent.lines.length >= count, `${count} lines`, timeoutMs);
  }

  private accept(socket: net.Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    // Clients reset connections too; counted, since a fake agent must not crash the test process.
    socket.on("error", () => {
      this.errors++;
    });
    let pending = "";
    socket.on("close", () => {
      this.sockets.delete(socket);
      if (pending !== "") this.fragments.push(pending);
    });
    switch (this.behaviour) {
      case "close":
        socket.end();
        socket.resume();
        return;
      case "reset":
        socket.resetAndDestroy();
        return;
      case "stall":
        return;
      case "read":
        if (!this.collect) {
          socket.on("data", (chunk: Buffer) => {
            this.bytes += chunk.length;
            this.newlines += countNewlines(chunk);
          });
          socket.resume();
          return;
        }
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
          this.bytes += Buffer.byteLength(chunk);
          const parts = (pending + chunk).split("\n");
          this.newlines += parts.length - 1;
          pending = parts.pop() ?? "";
          for (const line of parts) if (line !== "") this.received.push(line);
        });
        socket.resume();
    }
  }
}
