import { Aggregator, type SeriesBatch } from "../../../app/metrics/aggregator";
import { EmfDocuments } from "../../../app/metrics/emf-documents";
import { DIMENSIONS, PROPERTIES } from "../../../contract/metrics";
import { latencyValues, parseValid } from "./emf-helpers";

const settings = {
  namespace: "koaapp",
  logGroupName: "koaapp-metrics",
  logStreamName: undefined,
  serviceName: "koaapp",
  serviceType: "AWS::ECS::Container",
  defaultDimensions: false,
  maxDocumentBytes: 256 * 1024,
};

describe("Aggregator", () => {
  function collect(): { aggregator: Aggregator; batches: SeriesBatch[] } {
    const batches: SeriesBatch[] = [];
    return { aggregator: new Aggregator((batch) => batches.push(batch)), batches };
  }

  it("GIVEN 250 values of one key WHEN flushed THEN batches hold 100, 100 and 50 values", () => {
    // GIVEN
    const { aggregator, batches } = collect();
    for (let i = 0; i < 250; i++) aggregator.record("/items/:id", "GET", "2xx", i, 1_000);

    // WHEN
    const pendingBeforeFlush = aggregator.pending;
    aggregator.flush();

    // THEN
    expect(batches.map((b) => b.values.length)).toEqual([100, 100, 50]);
    expect(pendingBeforeFlush).toBe(50);
    expect(aggregator.pending).toBe(0);
  });

  it("GIVEN values of different methods and status classes WHEN flushed THEN each key is its own batch", () => {
    // GIVEN
    const { aggregator, batches } = collect();
    aggregator.record("/items/:id", "GET", "2xx", 1, 1_000);
    aggregator.record("/items/:id", "PUT", "2xx", 2, 1_000);
    aggregator.record("/items/:id", "GET", "5xx", 3, 1_000);
    aggregator.record("/items/:id", "GET", "2xx", 4, 1_000);

    // WHEN
    aggregator.flush();

    // THEN
    expect(batches.map((b) => [b.method, b.statusClass, b.values])).toEqual([
      ["GET", "2xx", [1, 4]],
      ["PUT", "2xx", [2]],
      ["GET", "5xx", [3]],
    ]);
  });

  it("GIVEN a value in the next wall-clock minute WHEN recorded THEN the earlier values leave with their own timestamp", () => {
    // GIVEN
    const { aggregator, batches } = collect();
    aggregator.record("/", "GET", "2xx", 1, 59_000);
    aggregator.record("/", "GET", "2xx", 2, 59_999);

    // WHEN
    aggregator.record("/", "GET", "2xx", 3, 60_001);
    aggregator.flush();

    // THEN
    expect(batches.map((b) => [b.firstMs, b.values])).toEqual([
      [59_000, [1, 2]],
      [60_001, [3]],
    ]);
  });
});

describe("EmfDocuments", () => {
  it("GIVEN 100 values WHEN serialized THEN one valid document holds them as an array with Method as a property", () => {
    // GIVEN
    const documents = new EmfDocuments(settings);
    const values = Array.from({ length: 100 }, (_, i) => i / 10);

    // WHEN
    const serialized = documents.serialize(
      "/items/:id",
      "2xx",
      values,
      { [PROPERTIES.method]: "GET" },
      Date.now(),
    );

    // THEN
    const [document] = parseValid(serialized.map((s) => s.line));
    expect(serialized.map((s) => s.samples)).toEqual([100]);
    expect(latencyValues(document as never)).toEqual(values);
    expect(document).toMatchObject({ [DIMENSIONS.path]: "/items/:id", [PROPERTIES.method]: "GET" });
  });

  it("GIVEN a document that would exceed maxDocumentBytes WHEN serialized THEN it is split and no value is lost", () => {
    // GIVEN a long route template and a 1.5 KiB limit
    const documents = new EmfDocuments({ ...settings, maxDocumentBytes: 1536 });
    const path = `/${"segment/".repeat(100)}:id`;
    const values = Array.from({ length: 100 }, (_, i) => 1000 + i + 0.123);

    // WHEN
    const serialized = documents.serialize(path, "2xx", values, {}, Date.now());

    // THEN
    expect(serialized.length).toBeGreaterThan(1);
    expect(serialized.every((s) => Buffer.byteLength(s.line) + 1 <= 1536)).toBe(true);
    expect(parseValid(serialized.map((s) => s.line)).flatMap((d) => latencyValues(d))).toEqual(values);
  });

  it("GIVEN a Path the library rejects WHEN serialized THEN the library's validation error is thrown", () => {
    // GIVEN a non-ASCII route template
    const documents = new EmfDocuments(settings);

    // WHEN / THEN
    expect(() => documents.serialize("/café/:id", "2xx", [1], {}, Date.now())).toThrow(
      "Dimension value /café/:id has invalid characters",
    );
  });
});

describe("EmfDocuments.serializeRequest", () => {
  it.each([
    ["defaults", settings],
    [
      "default dimensions and a log stream",
      { ...settings, defaultDimensions: true, logStreamName: "task/1" },
    ],
  ])(
    "GIVEN %s WHEN a request document is built THEN it equals the library's serialization byte for byte",
    (_name, given) => {
      // GIVEN
      const documents = new EmfDocuments(given);
      const fields = { method: "PUT", url: '/items/"7"\u2028', statusCode: 503, requestId: "r-1" };
      const before = Date.now();

      // WHEN
      const line = documents.serializeRequest("/items/:id", "5xx", 12.5, fields);

      // THEN
      const timestamp = (JSON.parse(line) as { _aws: { Timestamp: number } })._aws.Timestamp;
      expect(timestamp).toBeGreaterThanOrEqual(before);
      const [expected] = documents.serialize(
        "/items/:id",
        "5xx",
        [12.5],
        {
          [PROPERTIES.method]: "PUT",
          [PROPERTIES.url]: fields.url,
          [PROPERTIES.statusCode]: 503,
          [PROPERTIES.requestId]: "r-1",
        },
        timestamp,
      );
      expect(line).toBe(expected?.line);
      expect(parseValid([line])).toHaveLength(1);
    },
  );
});
