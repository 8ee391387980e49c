/**
 * What only the kernel does, on real sockets on loopback: refused connections, the agent's FIN, a reset
 * of unread data, a peer that never reads, datagrams. Everything else about the transports runs on fake
 * time in tcp-transport.test.ts.
 */
import request from "supertest";
import { type LatencyMetricsOptions, latencyMetrics } from "../../../app/metrics";
import { resolveOptions } from "../../../app/metrics/resolve-options";
import { TcpTransport } from "../../../app/metrics/transport/tcp-transport";
import { EMF_VARIABLES, PROPERTIES } from "../../../contract/metrics";
import { FakeAgent } from "../../support/fake-agent";
import { capturingLogger, eventually, parseValid, routedApp, totalSamples } from "./emf-helpers";

const FAST = { reconnectMinDelayMs: 10, reconnectMaxDelayMs: 50, statsIntervalMs: 0, env: {} };

describe("transports on real sockets", () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startAgent(options: Parameters<typeof FakeAgent.start>[0] = {}): Promise<FakeAgent> {
    const agent = await FakeAgent.start(options);
    cleanups.push(() => agent.stop());
    return agent;
  }

  /** A middleware sending to `agent` and a supertest client of an app it measures. */
  function service(agent: FakeAgent, options: LatencyMetricsOptions = {}) {
    const { logger, records } = capturingLogger();
    const metrics = latencyMetrics({ endpoint: agent.endpoint, logger, ...FAST, ...options });
    cleanups.push(() => metrics.close(200));
    const client = request(routedApp(metrics).app.callback());
    const get = async (prefix: string, count: number) => {
      for (let i = 0; i < count; i++) await client.get(`/items/${prefix}${i}`).expect(200);
    };
    return { metrics, records, get };
  }

  const urls = (agent: FakeAgent) =>
    parseValid(agent.lines).map((document) => String(document[PROPERTIES.url]));

  it("GIVEN only the AWS_EMF_* variables a new user sets WHEN latencyMetrics() serves requests THEN the agent they name receives documents with their settings", async () => {
    // GIVEN
    const agent = await startAgent();
    const saved = { ...process.env };
    Object.assign(process.env, {
      [EMF_VARIABLES.endpoint]: agent.endpoint,
      [EMF_VARIABLES.namespace]: "shop",
      [EMF_VARIABLES.logGroupName]: "/ecs/shop/emf",
      [EMF_VARIABLES.logStreamName]: "task-1",
    });
    let metrics: ReturnType<typeof latencyMetrics>;
    try {
      metrics = latencyMetrics({ logger: capturingLogger().logger });
    } finally {
      process.env = saved;
    }

    // WHEN
    await request(routedApp(metrics).app.callback()).get("/items/1").expect(200);
    await metrics.close(2000);
    await agent.waitFor((a) => a.lines.length >= 1 && a.openConnections === 0, "the document");

    // THEN
    const [document] = parseValid(agent.lines);
    expect(document?._aws).toMatchObject({
      LogGroupName: "/ecs/shop/emf",
      LogStreamName: "task-1",
      CloudWatchMetrics: [expect.objectContaining({ Namespace: "shop" })],
    });
    expect(metrics.stats()).toMatchObject({ recorded: 1, sent: 1, dropped: 0 });
  });

  it("GIVEN an agent that is not listening yet WHEN it starts THEN the buffered documents arrive, each once, confirmed by its FIN", async () => {
    // GIVEN
    const agent = await startAgent({ listen: false });
    const { metrics, get } = service(agent, { mode: "request" });
    await get("a", 10);
    const whileDown = metrics.stats();

    // WHEN
    await agent.listen();
    await agent.waitForLines(10);
    await eventually(() => metrics.stats().sent === 10, "the agent's confirmation");

    // THEN
    expect(whileDown).toMatchObject({ recorded: 10, sent: 0, buffered: 10, dropped: 0 });
    expect(urls(agent).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `/items/a${i}`).sort());
    expect(metrics.stats().documents.retried).toBe(0);
  });

  it("GIVEN documents the kernel accepted WHEN the agent resets the connection before reading them THEN they are resent, each received once", async () => {
    // GIVEN an agent that accepts and never reads: the lines sit in the socket buffers
    const agent = await startAgent({ behaviour: "stall" });
    const { logger, records } = capturingLogger();
    const settings = resolveOptions({ ...FAST, logger, confirmIntervalMs: 60_000 });
    const transport = new TcpTransport({ protocol: "tcp", host: "127.0.0.1", port: agent.port }, settings);
    cleanups.push(() => transport.close(100));
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ n: i }));
    for (const line of lines) transport.send(line, 1);
    // Written on connect, synchronously: once the connection is open the kernel has them.
    await eventually(() => transport.connectionState === "open", "the connection");

    // WHEN it resets them (unread data) and reads new connections
    agent.behaviour = "read";
    agent.resetConnections();
    await agent.waitForLines(10);
    await transport.close(2000);

    // THEN
    expect([...agent.lines].sort()).toEqual([...lines].sort());
    expect(transport.counters()).toMatchObject({ sent: 10, buffered: 0, dropped: 0, retried: 10 });
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: "EMF agent connection lost; buffering and reconnecting",
        err: expect.objectContaining({ code: "ECONNRESET" }),
      }),
    );
  });

  it("GIVEN an agent that accepts but never reads WHEN documents keep coming THEN the buffer stays bounded, drops are counted, and close gives up at its deadline", async () => {
    // GIVEN
    const agent = await startAgent({ behaviour: "stall" });
    const { logger } = capturingLogger();
    const bufferSize = 64 * 1024;
    const settings = resolveOptions({
      ...FAST,
      logger,
      bufferSize,
      writeTimeoutMs: 60_000,
      confirmIntervalMs: 60_000,
    });
    const transport = new TcpTransport({ protocol: "tcp", host: "127.0.0.1", port: agent.port }, settings);
    const line = JSON.stringify({ filler: "z".repeat(16 * 1024) });

    // WHEN more than the kernel's loopback buffers hold is sent
    for (let i = 0; i < 2000 && transport.counters().dropped === 0; i++) {
      transport.send(line, 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const whileStalled = transport.counters();
    const closing = transport.close(100);
    await closing;

    // THEN
    expect(agent.bytesReceived).toBe(0);
    expect(whileStalled.dropped).toBeGreaterThan(0);
    expect(whileStalled.bufferedBytes).toBeLessThanOrEqual(bufferSize);
    expect(transport.counters()).toMatchObject({ sent: 0, buffered: 0 });
    expect(transport.counters().dropped).toBe(whileStalled.dropped + whileStalled.buffered);
  });

  it("GIVEN a UDP agent WHEN closed THEN every document arrived as its own datagram", async () => {
    // GIVEN
    const agent = await startAgent({ protocol: "udp" });
    const { metrics, get } = service(agent);

    // WHEN
    await get("u", 130);
    await metrics.close(1000);
    await agent.waitForLines(metrics.stats().documents.sent);

    // THEN
    const documents = parseValid(agent.lines);
    expect(agent.datagramsReceived).toBe(documents.length);
    expect(totalSamples(documents)).toBe(130);
  });
});
