import {
  ENTRY_OVERHEAD_BYTES,
  LineBuffer,
  MAX_BATCH_BYTES,
} from "../../../app/metrics/transport/line-buffer";

const limits = { bufferSize: 4096, bufferLines: Number.MAX_SAFE_INTEGER, maxDocumentBytes: 1024 };

describe("LineBuffer", () => {
  it("GIVEN documents WHEN pushed THEN each costs its bytes, its newline and the fixed overhead", () => {
    // GIVEN
    const buffer = new LineBuffer(limits);

    // WHEN
    const results = [buffer.push("abc", 1), buffer.push("é", 2)];

    // THEN
    expect(results).toEqual(["accepted", "accepted"]);
    expect(buffer.costBytes).toBe(3 + 1 + 2 + 1 + 2 * ENTRY_OVERHEAD_BYTES);
    expect(buffer.counters()).toMatchObject({ buffered: 2, samples: { buffered: 3, sent: 0, dropped: 0 } });
  });

  it("GIVEN a document of maxDocumentBytes and one a byte longer WHEN pushed THEN the first is kept and the second dropped as oversized", () => {
    // GIVEN
    const buffer = new LineBuffer(limits);

    // WHEN
    const atLimit = buffer.push("x".repeat(1024), 1);
    const over = buffer.push("x".repeat(1025), 5);

    // THEN the newline is not counted against the limit
    expect([atLimit, over]).toEqual(["accepted", "oversized"]);
    expect(buffer.counters()).toMatchObject({
      buffered: 1,
      dropped: 1,
      oversized: 1,
      samples: { dropped: 5 },
    });
  });

  it("GIVEN a full buffer WHEN more documents come THEN they are dropped, the first of each episode reported as overflow", () => {
    // GIVEN room for four ~1 KiB documents
    const buffer = new LineBuffer(limits);
    const doc = "y".repeat(900);
    const accepted = [1, 2, 3, 4].map(() => buffer.push(doc, 1));

    // WHEN
    const overflowing = [buffer.push(doc, 1), buffer.push(doc, 1)];
    buffer.take(4);
    const afterDrain = [1, 2, 3, 4, 5].map(() => buffer.push(doc, 1));

    // THEN
    expect(accepted).toEqual(["accepted", "accepted", "accepted", "accepted"]);
    expect(overflowing).toEqual(["overflow", "full"]);
    expect(afterDrain).toEqual(["accepted", "accepted", "accepted", "accepted", "overflow"]);
    expect(buffer.costBytes).toBeLessThanOrEqual(limits.bufferSize);
    expect(buffer.counters()).toMatchObject({ sent: 4, buffered: 4, dropped: 3 });
  });

  it("GIVEN bufferLines WHEN more documents come THEN the line bound applies too", () => {
    // GIVEN
    const buffer = new LineBuffer({ ...limits, bufferLines: 2 });

    // WHEN
    const results = [buffer.push("a", 1), buffer.push("b", 1), buffer.push("c", 1)];

    // THEN
    expect(results).toEqual(["accepted", "accepted", "overflow"]);
  });

  it("GIVEN many documents WHEN batched THEN a chunk joins whole lines up to MAX_BATCH_BYTES, from any position", () => {
    // GIVEN
    const buffer = new LineBuffer({ ...limits, bufferSize: 1024 * 1024 });
    for (let i = 0; i < 200; i++) buffer.push(`${i}`.padStart(1000, "0"), 1);

    // WHEN
    const first = buffer.batch(0);
    const second = buffer.batch(first.count);

    // THEN
    expect(first.cost).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(first.chunk.split("\n").slice(0, -1)).toHaveLength(first.count);
    expect(second.chunk.startsWith(`${first.count}`.padStart(1000, "0"))).toBe(true);
    expect(buffer.length).toBe(200);
  });

  it("GIVEN sent, dropped and retried documents WHEN counted THEN sent + buffered + dropped is what was pushed", () => {
    // GIVEN
    const buffer = new LineBuffer(limits);
    for (let i = 0; i < 5; i++) buffer.push(`d${i}`, 2);

    // WHEN
    buffer.take(2);
    buffer.drop(1);
    buffer.countRetried(2);
    buffer.refuse(2);

    // THEN
    const counters = buffer.counters();
    expect(counters).toMatchObject({ sent: 2, buffered: 2, dropped: 2, retried: 2 });
    expect(counters.samples.sent + counters.samples.buffered + counters.samples.dropped).toBe(12);
  });
});
