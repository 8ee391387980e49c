import {
  type LatencyMetricsMiddleware,
  type LatencyMetricsOptions,
  latencyMetrics,
} from "../../../app/metrics";
import { backoffDelayMs, TcpTransport } from "../../../app/metrics/agent-transport";
import { PROPERTIES } from "../../../contract/metrics";
import { FakeAgent } from "../../support/fake-agent";
import { capturingLogger, eventually, listen, parseValid, routedApp, totalSamples } from "./emf-helpers";

const FAST_RECONNECT = { reconnectMinDelayMs: 20, reconnectMaxDelayMs: 100 };

describe("agent transport faults", () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startAgent(options: Parameters<typeof FakeAgent.start>[0] = {}): Promise<FakeAgent> {
    const agent = await FakeAgent.start(options);
    cleanups.push(() => agent.stop());
    return agent;
  }

  /** A listening app measured by a middleware sending to `agent`. */
  async function service(agent: FakeAgent, options: LatencyMetricsOptions = {}) {
    const { logger, records } = capturingLogger();
    const metrics = latencyMetrics({ endpoint: agent.endpoint, logger, ...FAST_RECONNECT, ...options });
    cleanups.push(() => metrics.close(500));
    const server = await listen(routedApp(metrics).app);
    cleanups.push(() => server.close());
    /** Requests `/items/<prefix><i>` for i < count, `concurrency` at a time; resolves to the statuses. */
    const get = async (prefix: string, count: number, concurrency = 1): Promise<number[]> => {
      const statuses: number[] = [];
      for (let start = 0; start < count; start += concurrency) {
        const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, i) =>
          fetch(`${server.url}/items/${prefix}${start + i}`).then(async (response) => {
            await response.arrayBuffer();
            return response.status;
          }),
        );
        statuses.push(...(await Promise.all(batch)));
      }
      return statuses;
    };
    return { metrics, records, get };
  }

  function urls(agent: FakeAgent): string[] {
    return parseValid(agent.lines).map((document) => String(document[PROPERTIES.url]));
  }

  function expectBalanced(metrics: LatencyMetricsMiddleware): void {
    const { recorded, sent, buffered, dropped } = metrics.stats();
    expect(sent + buffered + dropped).toBe(recorded);
  }

  it("GIVEN an agent that is not listening yet WHEN it starts THEN the buffered documents arrive", async () => {
    // GIVEN
    const agent = await startAgent({ listen: false });
    const { metrics, get } = await service(agent, { mode: "request" });

    // WHEN
    expect(await get("a", 20)).toEqual(Array(20).fill(200));
    const whileDown = metrics.stats();
    await agent.listen();
    await agent.waitForLines(20);

    // THEN
    expect(whileDown).toMatchObject({ recorded: 20, sent: 0, buffered: 20, dropped: 0 });
    expect(urls(agent).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `/items/a${i}`).sort());
    await eventually(() => metrics.stats().sent === 20, "the agent's confirmation");
    expect(metrics.stats()).toMatchObject({ recorded: 20, sent: 20, buffered: 0, dropped: 0 });
  });

  it("GIVEN a connected agent WHEN it closes the connection THEN later documents arrive on a new one", async () => {
    // GIVEN
    const agent = await startAgent();
    const { metrics, get } = await service(agent, { mode: "request" });
    await get("before", 10);
    await agent.waitForLines(10);

    // WHEN
    agent.closeConnections();
    await agent.waitFor((a) => a.openConnections === 0, "the connection to close");
    await get("after", 10);
    await agent.waitForLines(20);

    // THEN
    expect(new Set(urls(agent))).toEqual(
      new Set([...Array(10).keys()].flatMap((i) => [`/items/before${i}`, `/items/after${i}`])),
    );
    expect(agent.connectionsAccepted).toBe(2);
    expectBalanced(metrics);
  });

  it("GIVEN an agent that closes every connection on accept WHEN it starts reading again THEN later documents arrive", async () => {
    // GIVEN
    const agent = await startAgent({ behaviour: "close" });
    const { metrics, get } = await service(agent, { mode: "request" });

    // WHEN
    for (let batch = 0; agent.connectionsAccepted < 3 && batch < 200; batch++) {
      await get(`refused${batch}-`, 2);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    agent.behaviour = "read";
    await get("accepted", 3);
    await agent.waitFor(
      (a) => [0, 1, 2].every((i) => a.lines.some((line) => line.includes(`"/items/accepted${i}"`))),
      "the documents sent once the agent reads",
    );

    // THEN
    expect(agent.connectionsAccepted).toBeGreaterThanOrEqual(4);
    expect(agent.partialLines).toEqual([]);
    expectBalanced(metrics);
  });

  it("GIVEN a connected agent WHEN it resets the connection and then every new one THEN the process survives and delivers once the agent recovers", async () => {
    // GIVEN
    const agent = await startAgent();
    const { metrics, records, get } = await service(agent, { mode: "request" });
    await get("first", 5);
    await agent.waitForLines(5);

    // WHEN: an RST on the open connection, then RSTs on accept for a few reconnects
    agent.behaviour = "reset";
    agent.resetConnections();
    const statuses: number[] = [];
    for (let batch = 0; agent.connectionsAccepted < 4 && batch < 200; batch++) {
      statuses.push(...(await get(`during${batch}-`, 5, 5)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(agent.connectionsAccepted).toBeGreaterThanOrEqual(4);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    agent.behaviour = "read";
    await get("after", 5);
    await agent.waitFor(
      (a) => [0, 1, 2, 3, 4].every((i) => a.lines.some((line) => line.includes(`"/items/after${i}"`))),
      "the documents sent after recovery",
    );

    // THEN
    expect(records.some((r) => r.msg === "EMF agent connection lost; buffering and reconnecting")).toBe(true);
    expect(parseValid(agent.lines).length).toBeGreaterThanOrEqual(10);
    expectBalanced(metrics);
  });

  it("GIVEN an agent that restarts WHEN documents are recorded after the restart THEN they arrive", async () => {
    // GIVEN
    const agent = await startAgent();
    const { metrics, get } = await service(agent, { mode: "request" });
    await get("old", 5);
    await agent.waitForLines(5);

    // WHEN
    await agent.restart();
    await get("new", 5);
    await agent.waitForLines(10);

    // THEN
    expect(
      urls(agent)
        .filter((url) => url.startsWith("/items/new"))
        .sort(),
    ).toEqual([0, 1, 2, 3, 4].map((i) => `/items/new${i}`));
    await eventually(() => metrics.stats().sent === 10, "the agent's confirmation");
    expect(metrics.stats()).toMatchObject({ recorded: 10, sent: 10, buffered: 0, dropped: 0 });
  });

  it("GIVEN an agent that accepts but never reads WHEN requests keep coming THEN responses arrive, the buffer stays bounded and drops are counted", async () => {
    // GIVEN
    const agent = await startAgent({ behaviour: "stall" });
    const bufferSize = 64 * 1024;
    const { metrics, get } = await service(agent, { mode: "request", bufferSize, writeTimeoutMs: 60_000 });
    // ~2.1 KiB documents, 10 at a time (a burst well below the buffer): the connection's kernel
    // buffers (a few MiB on loopback) fill first, then the buffer, then documents are dropped.
    const prefix = "x".repeat(2000);

    // WHEN
    const statuses: number[] = [];
    while (metrics.stats().dropped === 0 && statuses.length < 20_000)
      statuses.push(...(await get(prefix, 100, 10)));
    const whileStalled = metrics.stats();

    // THEN every response arrived although the agent has read nothing
    expect(agent.bytesReceived).toBe(0);
    expect(agent.openConnections).toBe(1);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(whileStalled.dropped).toBeGreaterThan(0);
    expect(whileStalled.documents.bufferedBytes).toBeLessThanOrEqual(bufferSize);
    expect(whileStalled.documents.bufferedBytes).toBeGreaterThan(bufferSize - 3 * 1024);
    expect(whileStalled.sent + whileStalled.buffered + whileStalled.dropped).toBe(whileStalled.recorded);
    expect(whileStalled.recorded).toBe(statuses.length);

    // AND close gives up at its deadline, dropping what the agent never took
    await metrics.close(200);
    const closed = metrics.stats();
    expect(closed.buffered).toBe(0);
    expect(closed.sent + closed.dropped).toBe(closed.recorded);
  });

  it("GIVEN a full buffer while the agent is down WHEN it comes back THEN received values plus dropped values equal recorded", async () => {
    // GIVEN aggregate documents flushed every few ms into a buffer that holds only a few of them
    const agent = await startAgent({ listen: false });
    const { metrics, get } = await service(agent, { flushIntervalMs: 5, bufferSize: 2048 });

    // WHEN
    for (let i = 0; i < 30; i++) {
      await get(`v${i}`, 2);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const whileDown = metrics.stats();
    await agent.listen();
    await metrics.close(3000);
    const sent = metrics.stats().documents.sent;
    await agent.waitFor((a) => a.lines.length >= sent && a.openConnections === 0, `${sent} documents`);

    // THEN
    const { recorded, dropped, buffered } = metrics.stats();
    expect(whileDown.dropped).toBeGreaterThan(0);
    expect(whileDown.documents.bufferedBytes).toBeLessThanOrEqual(2048);
    expect(recorded).toBe(60);
    expect(buffered).toBe(0);
    expect(totalSamples(parseValid(agent.lines)) + dropped).toBe(recorded);
  });

  it("GIVEN an agent that never listens WHEN closed with a deadline THEN close resolves, drops are counted and logged", async () => {
    // GIVEN
    const agent = await startAgent({ listen: false });
    const { metrics, records, get } = await service(agent, { mode: "request" });
    await get("lost", 5);

    // WHEN
    const started = Date.now();
    await metrics.close(300);
    const elapsedMs = Date.now() - started;

    // THEN
    expect(elapsedMs).toBeLessThan(3000);
    expect(metrics.stats()).toMatchObject({ recorded: 5, sent: 0, buffered: 0, dropped: 5 });
    expect(records).toContainEqual(
      expect.objectContaining({ msg: "EMF documents dropped at close", documents: 5 }),
    );
  });

  it("GIVEN a closed middleware WHEN more requests are served THEN they pass and are counted as dropped", async () => {
    // GIVEN
    const agent = await startAgent();
    const { metrics, get } = await service(agent, { mode: "request" });
    await metrics.close(500);

    // WHEN
    const statuses = await get("late", 3);

    // THEN
    expect(statuses).toEqual([200, 200, 200]);
    expect(metrics.stats()).toMatchObject({ recorded: 3, sent: 0, buffered: 0, dropped: 3 });
  });

  describe("delivery confirmation (TCP)", () => {
    /** Every sample recorded reached the agent exactly once, or was counted as dropped. */
    function expectExactlyOnce(
      metrics: LatencyMetricsMiddleware,
      agent: FakeAgent,
      prefix: string,
      count: number,
    ) {
      const received = urls(agent).filter((url) => url.startsWith(`/items/${prefix}`));
      expect(received.sort()).toEqual(Array.from({ length: count }, (_, i) => `/items/${prefix}${i}`).sort());
      expect(metrics.stats()).toMatchObject({ recorded: count, sent: count, buffered: 0, dropped: 0 });
    }

    it("GIVEN an agent that has not read what the kernel accepted WHEN time passes THEN nothing counts as sent", async () => {
      // GIVEN
      const agent = await startAgent({ behaviour: "stall" });
      const { metrics, get } = await service(agent, { mode: "request", confirmIntervalMs: 100 });

      // WHEN
      await get("u", 5);
      await new Promise((resolve) => setTimeout(resolve, 500));

      // THEN
      expect(agent.openConnections).toBe(1);
      expect(metrics.stats()).toMatchObject({ recorded: 5, sent: 0, buffered: 5, dropped: 0 });
    });

    it("GIVEN a reading agent WHEN documents are written THEN the agent's FIN, answering the half-close, confirms them", async () => {
      // GIVEN
      const agent = await startAgent();
      const { metrics, get } = await service(agent, { mode: "request" });

      // WHEN
      await get("c", 5, 5);
      await agent.waitForLines(5);
      await agent.waitFor((a) => a.openConnections === 0, "the confirmed connection to close", 3000);

      // THEN
      await eventually(() => metrics.stats().sent === 5, "the agent's confirmation");
      expectExactlyOnce(metrics, agent, "c", 5);
      expect(metrics.stats().documents.retried).toBe(0);
    });

    it("GIVEN documents the kernel accepted WHEN the agent resets the connection before reading them THEN they are resent, each received once", async () => {
      // GIVEN an agent that accepts and never reads: the lines sit in the socket buffers
      const agent = await startAgent({ behaviour: "stall" });
      const { metrics, records, get } = await service(agent, { mode: "request", confirmIntervalMs: 60_000 });
      await get("r", 10);
      await agent.waitFor((a) => a.openConnections === 1, "the connection");
      await new Promise((resolve) => setTimeout(resolve, 50));
      const written = metrics.stats();

      // WHEN it resets them (unread data) and reads new connections
      agent.behaviour = "read";
      agent.resetConnections();
      await agent.waitForLines(10);
      await metrics.close(2000);

      // THEN
      expect(written).toMatchObject({ recorded: 10, sent: 0, buffered: 10 });
      expect(agent.bytesReceived).toBeGreaterThan(0);
      expectExactlyOnce(metrics, agent, "r", 10);
      expect(metrics.stats().documents.retried).toBe(10);
      expect(records).toContainEqual(
        expect.objectContaining({
          msg: "EMF agent connection lost; buffering and reconnecting",
          unconfirmedDocuments: 10,
          err: expect.objectContaining({ code: "ECONNRESET" }),
        }),
      );
    });

    it("GIVEN an agent that accepts but never reads WHEN it is restarted THEN every document written to the dead connection arrives once", async () => {
      // GIVEN
      const agent = await startAgent({ behaviour: "stall" });
      const { metrics, get } = await service(agent, { mode: "request", confirmIntervalMs: 200 });
      await get("b", 10);
      await agent.waitFor((a) => a.openConnections === 1, "the connection");
      await new Promise((resolve) => setTimeout(resolve, 400));

      // WHEN
      agent.behaviour = "read";
      await agent.restart();
      await get("b", 10).then(() => undefined);
      await agent.waitForLines(20);
      await metrics.close(2000);

      // THEN: the ten first requests twice (both batches use the same URLs), each document once
      const received = urls(agent).sort();
      expect(received).toEqual(
        Array.from({ length: 10 }, (_, i) => `/items/b${i}`)
          .flatMap((url) => [url, url])
          .sort(),
      );
      expect(metrics.stats()).toMatchObject({ recorded: 20, sent: 20, buffered: 0, dropped: 0 });
      expect(metrics.stats().documents.retried).toBe(10);
    });

    it("GIVEN a half-closed connection WHEN the agent sends no FIN within confirmTimeoutMs THEN its documents go out again on a new connection", async () => {
      // GIVEN
      const agent = await startAgent({ behaviour: "stall" });
      const { metrics, records, get } = await service(agent, {
        mode: "request",
        confirmIntervalMs: 100,
        confirmTimeoutMs: 300,
      });

      // WHEN
      await get("t", 4);
      await agent.waitFor((a) => a.connectionsAccepted >= 2, "a second connection", 3000);
      agent.behaviour = "read";
      await agent.waitFor((a) => a.connectionsAccepted >= 3, "a reading connection", 5000);
      await agent.waitForLines(4);

      // THEN
      expect(records).toContainEqual(
        expect.objectContaining({
          msg: "EMF agent connection lost; buffering and reconnecting",
          err: expect.objectContaining({ message: "no confirmation from the agent within 300 ms" }),
        }),
      );
      await eventually(() => metrics.stats().sent === 4, "the agent's confirmation");
      expectExactlyOnce(metrics, agent, "t", 4);
    });

    it("GIVEN an agent that resets every connection after taking its data WHEN it keeps doing so THEN reconnects back off instead of hammering it", async () => {
      // GIVEN min 50 ms and max 400 ms, and RSTs every 50 ms on connections whose data the kernel took:
      // without backoff that is one connection per ~90 ms (16+ in 1.5 s), with it about 7
      const agent = await startAgent({ behaviour: "stall" });
      const { metrics, get } = await service(agent, {
        mode: "request",
        reconnectMinDelayMs: 50,
        reconnectMaxDelayMs: 400,
      });

      // WHEN
      await get("x", 3);
      const resets = setInterval(() => agent.resetConnections(), 50);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      clearInterval(resets);
      const accepted = agent.connectionsAccepted;
      agent.behaviour = "read";
      agent.resetConnections();
      await agent.waitForLines(3, 3000);
      await metrics.close(2000);

      // THEN
      expect(accepted).toBeGreaterThanOrEqual(4);
      expect(accepted).toBeLessThanOrEqual(10);
      expectExactlyOnce(metrics, agent, "x", 3);
    });
  });

  describe("UDP", () => {
    it("GIVEN a UDP agent WHEN closed THEN every document arrived as its own datagram", async () => {
      // GIVEN
      const agent = await startAgent({ protocol: "udp" });
      const { metrics, get } = await service(agent);

      // WHEN
      await get("u", 130);
      await metrics.close(1000);
      await agent.waitForLines(metrics.stats().documents.sent);

      // THEN
      const documents = parseValid(agent.lines);
      expect(agent.datagramsReceived).toBe(documents.length);
      expect(totalSamples(documents)).toBe(130);
    });

    it("GIVEN a document larger than maxDocumentBytes WHEN sent over UDP THEN it is dropped and counted as oversized", async () => {
      // GIVEN
      const agent = await startAgent({ protocol: "udp" });
      const { metrics, records, get } = await service(agent, { mode: "request", maxDocumentBytes: 1024 });

      // WHEN
      await get("y".repeat(1200), 1);
      await get("short", 1);
      await metrics.close(1000);
      await agent.waitForLines(1);

      // THEN
      expect(urls(agent)).toEqual(["/items/short0"]);
      expect(metrics.stats()).toMatchObject({ recorded: 2, sent: 1, dropped: 1 });
      expect(metrics.stats().documents.oversized).toBe(1);
      expect(records).toContainEqual(
        expect.objectContaining({ msg: "EMF document larger than maxDocumentBytes dropped" }),
      );
    });
  });

  describe("TcpTransport", () => {
    it("GIVEN an agent that stops reading WHEN writes make no progress for writeTimeoutMs THEN the connection is replaced", async () => {
      // GIVEN
      const agent = await startAgent({ behaviour: "stall" });
      const { logger, records } = capturingLogger();
      const transport = new TcpTransport(
        { protocol: "tcp", host: "127.0.0.1", port: agent.port },
        {
          maxBufferedBytes: 64 * 1024 * 1024,
          maxBufferedLines: Number.MAX_SAFE_INTEGER,
          maxDocumentBytes: 256 * 1024,
          writeTimeoutMs: 300,
          confirmIntervalMs: 60_000,
          confirmTimeoutMs: 60_000,
          ...FAST_RECONNECT,
          logger,
        },
      );
      cleanups.push(() => transport.close(100));

      // WHEN: more than the kernel's loopback buffers hold
      const line = JSON.stringify({ filler: "z".repeat(16 * 1024) });
      for (let i = 0; i < 1024; i++) transport.send(line, 1);
      await agent.waitFor((a) => a.connectionsAccepted >= 2, "a second connection", 10_000);

      // THEN
      expect(records).toContainEqual(
        expect.objectContaining({
          msg: "EMF agent connection lost; buffering and reconnecting",
          err: expect.objectContaining({ message: "no progress for 300 ms (write stalled)" }),
        }),
      );
      expect(transport.counters().buffered).toBeGreaterThan(0);
    });
  });

  describe("backoffDelayMs", () => {
    it.each([
      [0, 50, 100],
      [1, 100, 200],
      [3, 400, 800],
      [20, 2500, 5000],
    ])("GIVEN attempt %i WHEN computed THEN the delay is between %i and %i ms", (attempt, low, high) => {
      // GIVEN min 100 ms, max 5000 ms, and the extremes of the jitter
      const delays = [0, 0.5, 0.999_999].map((r) => backoffDelayMs(attempt, 100, 5000, () => r));

      // WHEN / THEN
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(low);
        expect(delay).toBeLessThanOrEqual(high);
      }
    });
  });
});
