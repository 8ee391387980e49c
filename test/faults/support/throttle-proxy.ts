/**
 * A TCP hop on loopback in front of a {@link FakeAgent} that reads from its clients at a limited byte
 * rate, or not at all for a while: an agent that reads slowly, or stops reading and later resumes on
 * the same connection. The fake agent has neither behaviour (it reads at once, stalls for good, closes
 * or resets), so the suite puts this in front of it; the fake agent still receives and counts every line.
 */
import * as net from "node:net";

/** See the module comment. */
export class ThrottleProxy {
  private bytesPerSecond = Number.POSITIVE_INFINITY;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port and forwards to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<ThrottleProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const proxy = new ThrottleProxy(server, (server.address() as net.AddressInfo).port, targetPort);
    server.on("connection", (client) => proxy.forward(client));
    return proxy;
  }

  /** The endpoint option for the middleware. */
  get endpoint(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Reads each client at `bytesPerSecond` from now on; 0 stops reading (connections stay open). */
  throttle(bytesPerSecond: number): void {
    this.bytesPerSecond = bytesPerSecond;
    if (bytesPerSecond === 0) for (const { client } of this.pairs) client.pause();
  }

  /** Forwards as fast as the agent reads again, at once (a read paused by the throttle resumes now). */
  unthrottle(): void {
    this.bytesPerSecond = Number.POSITIVE_INFINITY;
    for (const { client, upstream } of this.pairs) {
      if (!client.destroyed && !upstream.writableNeedDrain) client.resume();
    }
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, "127.0.0.1");
    const pair = { client, upstream };
    this.pairs.add(pair);
    // Either side failing ends both, as a real network hop would; the errors themselves are expected.
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => {
      upstream.end();
      this.pairs.delete(pair);
    });
    upstream.on("close", () => client.destroy());
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("data", (chunk: Buffer) => {
      const writable = upstream.write(chunk);
      const rate = this.bytesPerSecond;
      if (!writable || Number.isFinite(rate)) client.pause();
      // Rate 0: stays paused until unthrottle().
      if (rate === 0) return;
      const resumeAfterMs = Number.isFinite(rate) ? (chunk.length / rate) * 1000 : 0;
      const resume = (): void => {
        if (!client.destroyed) client.resume();
      };
      // Pausing the socket stops reading it: the kernel's buffers fill and the sender's writes slow down.
      if (!writable) upstream.once("drain", () => setTimeout(resume, resumeAfterMs));
      else if (resumeAfterMs > 0) setTimeout(resume, resumeAfterMs);
    });
  }
}
