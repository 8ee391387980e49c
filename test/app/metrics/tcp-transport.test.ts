import { type LatencyMetricsOptions, MAX_TCP_DOCUMENT_BYTES } from "../../../app/metrics";
import { resolveOptions } from "../../../app/metrics/resolve-options";
import { PUMP_DELAY_MS } from "../../../app/metrics/transport/buffered-transport";
import { IDLE_CONFIRM_MS } from "../../../app/metrics/transport/tcp-states";
import { TcpTransport } from "../../../app/metrics/transport/tcp-transport";
import { FakeClock } from "../../support/fake-clock";
import { FakeSocket } from "../../support/fake-socket";
import { capturingLogger } from "./emf-helpers";

/** Log records of the transport under test, checked after each test. */
let records: Record<string, unknown>[] = [];

/** A TCP transport on fake time and fake sockets, with the options' defaults unless overridden. */
function tcp(options: LatencyMetricsOptions = {}) {
  const clock = new FakeClock();
  const captured = capturingLogger();
  const { logger } = captured;
  records = captured.records;
  const settings = resolveOptions({ clock, logger, env: {}, ...options });
  const sockets: FakeSocket[] = [];
  // Jitter fixed at its middle: delays are 3/4 of the ceiling.
  const transport = new TcpTransport(
    settings.endpoint,
    settings,
    () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    () => 0.5,
  );
  const latest = (): FakeSocket => {
    const socket = sockets.at(-1);
    if (!socket) throw new Error("no socket yet");
    return socket;
  };
  const send = (...lines: string[]) => {
    for (const line of lines) transport.send(line, 1);
  };
  /** Sends `lines`, lets the transport connect, and has the agent accept: they are written. */
  const sendConnected = async (...lines: string[]) => {
    send(...lines);
    await clock.advance(PUMP_DELAY_MS);
    latest().accept();
    await clock.advance(0);
  };
  /** The connection-lost warning was logged with an error of this message. */
  const expectLost = (message: string) =>
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: "EMF agent connection lost; buffering and reconnecting",
        err: expect.objectContaining({ message }),
      }),
    );
  return { clock, transport, sockets, records, latest, send, sendConnected, expectLost, settings };
}

const line = (i: number) => JSON.stringify({ n: i });

describe("TcpTransport (fake time, fake sockets)", () => {
  afterEach(() => {
    // No test may drive the state machine through a transition it does not allow.
    expect(records.filter((r) => r.msg === "EMF TCP transport: illegal state transition")).toEqual([]);
  });

  it("GIVEN written documents WHEN the agent has not answered THEN none counts as sent, and its FIN after our half-close confirms them all", async () => {
    // GIVEN
    const t = tcp();
    await t.sendConnected(line(1), line(2), line(3));

    // WHEN nothing more comes for IDLE_CONFIRM_MS
    const written = t.transport.counters();
    await t.clock.advance(IDLE_CONFIRM_MS);

    // THEN
    expect(t.latest().lines).toEqual([line(1), line(2), line(3)]);
    expect(written).toMatchObject({ sent: 0, buffered: 3 });
    expect(t.latest().ended).toBe(true);
    expect(t.transport.connectionState).toBe("confirming");
    t.latest().finFromAgent();
    await t.clock.advance(0);
    expect(t.transport.counters()).toMatchObject({ sent: 3, buffered: 0, retried: 0 });
    expect(t.transport.connectionState).toBe("idle");
  });

  it("GIVEN steady traffic WHEN documents keep coming every 10 ms THEN the connection is confirmed confirmIntervalMs after its first write, not per document", async () => {
    // GIVEN
    const t = tcp({ confirmIntervalMs: 1000 });
    t.send(line(0));
    await t.clock.advance(PUMP_DELAY_MS);
    t.latest().accept();

    // WHEN
    for (let i = 1; i <= 99; i++) {
      await t.clock.advance(10);
      t.send(line(i));
    }
    const before = t.latest().ended;
    await t.clock.advance(10);

    // THEN
    expect(before).toBe(false);
    expect(t.sockets).toHaveLength(1);
    expect(t.latest().ended).toBe(true);
    // What the pump had not written yet goes on the next connection.
    t.latest().finFromAgent();
    await t.clock.advance(PUMP_DELAY_MS);
    t.latest().accept();
    await t.clock.advance(PUMP_DELAY_MS);
    expect(t.sockets).toHaveLength(2);
    expect(t.sockets.flatMap((socket) => socket.lines)).toEqual(
      Array.from({ length: 100 }, (_, i) => line(i)),
    );
    expect(t.sockets[0]?.lines.length).toBeGreaterThanOrEqual(95);
  });

  it("GIVEN unconfirmed documents filling a quarter of the buffer WHEN more are written THEN the connection is half-closed at once", async () => {
    // GIVEN a 1 MiB buffer and 400 documents of ~1 KiB, written in chunks of up to 64 KiB
    const t = tcp({ bufferSize: 1024 * 1024 });
    const big = (i: number) => JSON.stringify({ n: i, pad: "x".repeat(1000) });

    // WHEN
    for (let i = 0; i < 400; i++) t.send(big(i));
    await t.clock.advance(PUMP_DELAY_MS);
    t.latest().accept();
    await t.clock.advance(0);

    // THEN chunks stop once 256 KiB are unconfirmed, then FIN; the rest waits for the next connection
    expect(t.latest().ended).toBe(true);
    expect(t.latest().lines.length).toBeGreaterThanOrEqual(240);
    expect(t.latest().lines.length).toBeLessThan(320);
    t.latest().finFromAgent();
    await t.clock.advance(0);
    expect(t.sockets).toHaveLength(2);
  });

  it("GIVEN written documents WHEN the agent resets the connection before its FIN THEN they are put back, counted as retried, and written again on the next connection", async () => {
    // GIVEN
    const t = tcp();
    await t.sendConnected(line(1), line(2));

    // WHEN
    t.latest().resetByAgent();
    await t.clock.advance(0);

    // THEN
    expect(t.transport.counters()).toMatchObject({ sent: 0, buffered: 2, retried: 2 });
    expect(t.transport.connectionState).toBe("backoff");
    expect(t.records).toContainEqual(
      expect.objectContaining({
        msg: "EMF agent connection lost; buffering and reconnecting",
        unconfirmedDocuments: 2,
        err: expect.objectContaining({ code: "ECONNRESET" }),
      }),
    );
    await t.clock.advance(75);
    t.latest().accept();
    await t.clock.advance(IDLE_CONFIRM_MS);
    expect(t.sockets[1]?.lines).toEqual([line(1), line(2)]);
    t.latest().finFromAgent();
    await t.clock.advance(0);
    expect(t.transport.counters()).toMatchObject({ sent: 2, buffered: 0, retried: 2 });
    expect(t.records).toContainEqual(expect.objectContaining({ msg: "EMF agent connection restored" }));
  });

  it("GIVEN a half-closed connection WHEN no FIN comes within confirmTimeoutMs THEN it is destroyed and its documents go out again", async () => {
    // GIVEN
    const t = tcp({ confirmTimeoutMs: 3000 });
    t.send(line(1));
    await t.clock.advance(PUMP_DELAY_MS);
    t.latest().accept();
    await t.clock.advance(IDLE_CONFIRM_MS);
    expect(t.latest().ended).toBe(true);

    // WHEN
    await t.clock.advance(2999);
    const before = t.latest().destroyed;
    await t.clock.advance(1);

    // THEN
    expect(before).toBe(false);
    expect(t.sockets[0]?.destroyed).toBe(true);
    expect(t.transport.counters()).toMatchObject({ retried: 1, buffered: 1, sent: 0 });
    t.expectLost("no confirmation from the agent within 3000 ms");
  });

  it("GIVEN the agent's FIN while the transport is still writing WHEN the socket closes without error THEN what it carried counts as sent", async () => {
    // GIVEN
    const t = tcp();
    await t.sendConnected(line(1));

    // WHEN
    t.latest().finFromAgent();
    await t.clock.advance(0);

    // THEN
    expect(t.transport.counters()).toMatchObject({ sent: 1, buffered: 0, retried: 0 });
  });

  it("GIVEN an agent that keeps failing WHEN reconnecting THEN delays double up to the cap, a connect alone does not reset them, a confirmation does", async () => {
    // GIVEN min 100 ms, max 1000 ms; jitter at its middle makes each delay 3/4 of its ceiling
    const t = tcp({ reconnectMinDelayMs: 100, reconnectMaxDelayMs: 1000 });
    t.send(line(1));
    await t.clock.advance(PUMP_DELAY_MS);

    // WHEN every connect is refused, then one connects and is reset, then one is confirmed
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      t.latest().refuse();
      await t.clock.advance(0);
      delays.push(t.clock.pending().delays.at(-1) as number);
      await t.clock.advance(delays.at(-1) as number);
    }
    t.latest().accept();
    await t.clock.advance(0);
    t.latest().resetByAgent();
    await t.clock.advance(0);
    const afterConnect = t.clock.pending().delays.at(-1);
    await t.clock.advance(afterConnect as number);
    t.latest().accept();
    await t.clock.advance(IDLE_CONFIRM_MS);
    t.latest().finFromAgent();
    await t.clock.advance(0);
    t.send(line(2));
    await t.clock.advance(PUMP_DELAY_MS);
    t.latest().refuse();
    await t.clock.advance(0);
    const afterConfirm = t.clock.pending().delays.at(-1);

    // THEN
    expect(delays).toEqual([75, 150, 300, 600, 750]);
    expect(afterConnect).toBe(750);
    expect(afterConfirm).toBe(75);
  });

  it("GIVEN a connect that never completes WHEN writeTimeoutMs passes THEN the socket is destroyed as a stalled connect", async () => {
    // GIVEN
    const t = tcp({ writeTimeoutMs: 400 });
    t.send(line(1));
    await t.clock.advance(PUMP_DELAY_MS);

    // WHEN
    await t.clock.advance(399);
    const before = t.latest().destroyed;
    await t.clock.advance(101);

    // THEN checked a quarter of writeTimeoutMs at a time: destroyed within 1.25 × writeTimeoutMs
    expect(before).toBe(false);
    expect(t.sockets[0]?.destroyed).toBe(true);
    t.expectLost("no progress for 400 ms (connect stalled)");
  });

  it("GIVEN a peer that stops reading WHEN writes make no progress for writeTimeoutMs THEN the connection is replaced and the documents kept", async () => {
    // GIVEN
    const t = tcp({ writeTimeoutMs: 400, confirmIntervalMs: 60_000 });
    t.send(line(1));
    await t.clock.advance(PUMP_DELAY_MS);
    t.latest().stalled = true;
    t.latest().accept();
    await t.clock.advance(0);

    // WHEN
    await t.clock.advance(500);

    // THEN
    expect(t.sockets[0]?.destroyed).toBe(true);
    expect(t.transport.counters()).toMatchObject({ buffered: 1, retried: 1 });
    t.expectLost("no progress for 400 ms (write stalled)");
  });

  it("GIVEN a socket that needs 'drain' WHEN more documents come THEN nothing more is written until 'drain'", async () => {
    // GIVEN a socket that queues at most 1 KiB
    const t = tcp();
    t.send(line(0));
    await t.clock.advance(PUMP_DELAY_MS);
    t.latest().stalled = true;
    t.latest().highWaterMark = 1024;
    t.latest().accept();
    await t.clock.advance(0);

    // WHEN a 2 KiB document fills the socket's queue and two more come
    t.send(JSON.stringify({ pad: "y".repeat(2000) }));
    await t.clock.advance(PUMP_DELAY_MS);
    t.send(line(2), line(3));
    await t.clock.advance(PUMP_DELAY_MS);
    const whileBlocked = t.latest().lines.length;
    t.latest().unstall();
    await t.clock.advance(0);

    // THEN
    expect(whileBlocked).toBe(2);
    expect(t.latest().lines).toHaveLength(4);
  });

  it("GIVEN buffered documents WHEN closed and the agent confirms THEN close resolves drained, with the socket kept alive meanwhile", async () => {
    // GIVEN
    const t = tcp();
    await t.sendConnected(line(1), line(2));

    // WHEN
    let resolved = false;
    const closing = t.transport.close(2000).then(() => {
      resolved = true;
    });
    await t.clock.advance(0);
    const referenced = t.latest().referenced;
    t.latest().finFromAgent();
    await closing;

    // THEN
    expect(referenced).toBe(true);
    expect(resolved).toBe(true);
    expect(t.transport.counters()).toMatchObject({ sent: 2, buffered: 0, dropped: 0 });
    expect(t.transport.connectionState).toBe("stopped");
    expect(t.clock.pending().timers).toBe(0);
    expect(t.transport.send(line(3), 1)).toBe(false);
  });

  it("GIVEN an agent that never confirms WHEN closed with a deadline THEN close resolves at the deadline, drops are counted and nothing is left running", async () => {
    // GIVEN
    const t = tcp();
    await t.sendConnected(line(1), line(2), line(3));

    // WHEN
    let resolved = false;
    void t.transport.close(500).then(() => {
      resolved = true;
    });
    await t.clock.advance(499);
    const before = resolved;
    await t.clock.advance(1);

    // THEN
    expect(before).toBe(false);
    expect(resolved).toBe(true);
    expect(t.transport.counters()).toMatchObject({ sent: 0, buffered: 0, dropped: 3 });
    expect(t.records).toContainEqual(
      expect.objectContaining({ msg: "EMF documents dropped at close", documents: 3, reason: "deadline" }),
    );
    expect(t.latest().destroyed).toBe(true);
    expect(t.clock.pending().timers).toBe(0);
  });

  it("GIVEN a transport backing off WHEN closed THEN it reconnects at once instead of waiting out the delay", async () => {
    // GIVEN
    const t = tcp({ reconnectMinDelayMs: 1000, reconnectMaxDelayMs: 60_000 });
    t.send(line(1));
    await t.clock.advance(PUMP_DELAY_MS);
    for (let i = 0; i < 4; i++) {
      t.latest().refuse();
      await t.clock.advance(0);
      await t.clock.advance(t.clock.pending().delays.at(-1) as number);
    }
    t.latest().refuse();
    await t.clock.advance(0);
    expect(t.transport.connectionState).toBe("backoff");
    expect(t.clock.pending().delays).toEqual([12_000]);

    // WHEN
    void t.transport.close(5000);
    await t.clock.advance(0);

    // THEN
    expect(t.transport.connectionState).toBe("connecting");
    expect(t.sockets).toHaveLength(6);
  });

  it("GIVEN the default limit WHEN documents of 262,118 and 262,119 bytes are sent THEN the first is written, the second dropped as oversized and never written", async () => {
    // GIVEN the default maxDocumentBytes: what the agent's CloudWatch Logs exporter takes without truncating
    const t = tcp();
    const document = (bytes: number) => JSON.stringify({ pad: "x".repeat(bytes - 10) });
    expect(t.settings.maxDocumentBytes).toBe(MAX_TCP_DOCUMENT_BYTES);

    // WHEN
    const accepted = [t.transport.send(document(262_118), 1), t.transport.send(document(262_119), 1)];
    await t.sendConnected();

    // THEN
    expect(accepted).toEqual([true, false]);
    expect(t.latest().lines.map((written) => Buffer.byteLength(written))).toEqual([262_118]);
    expect(t.transport.counters()).toMatchObject({ oversized: 1, dropped: 1, buffered: 1 });
  });

  it("GIVEN nothing buffered WHEN closed THEN close resolves at once and opens no connection", async () => {
    // GIVEN
    const t = tcp();

    // WHEN
    await t.transport.close(1000);

    // THEN
    expect(t.sockets).toHaveLength(0);
    expect(t.clock.pending().timers).toBe(0);
  });
});
