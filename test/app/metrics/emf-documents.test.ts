import fc from "fast-check";
import { Aggregator, type SeriesBatch } from "../../../app/metrics/aggregator";
import { EmfDocuments } from "../../../app/metrics/emf-documents";
import { latencyJson } from "../../../app/metrics/latency-json";
import { DIMENSIONS, PROPERTIES } from "../../../contract/metrics";
import { latencyValues, parseValid } from "./emf-helpers";

const settings = {
  namespace: "shop",
  logGroupName: "shop-metrics",
  logStreamName: undefined,
  serviceName: "shop",
  serviceType: "AWS::ECS::Container",
  defaultDimensions: false,
  highResolution: false,
  maxDocumentBytes: 262_118,
};

const NOW = Date.now();

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

  it("GIVEN values of different paths, methods and status classes WHEN flushed THEN each key is its own batch", () => {
    // GIVEN
    const { aggregator, batches } = collect();
    aggregator.record("/items/:id", "GET", "2xx", 1, 1_000);
    aggregator.record("/items/:id", "PUT", "2xx", 2, 1_000);
    aggregator.record("/items/:id", "GET", "5xx", 3, 1_000);
    aggregator.record("/", "GET", "2xx", 5, 1_000);
    aggregator.record("/items/:id", "GET", "2xx", 4, 1_000);

    // WHEN
    aggregator.flush();

    // THEN
    expect(batches.map((b) => [b.path, b.method, b.statusClass, b.values])).toEqual([
      ["/items/:id", "GET", "2xx", [1, 4]],
      ["/items/:id", "GET", "5xx", [3]],
      ["/items/:id", "PUT", "2xx", [2]],
      ["/", "GET", "2xx", [5]],
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

  it("GIVEN 10-s windows WHEN values cross a window's end THEN each window's values leave as their own batch", () => {
    // GIVEN the window of high-resolution documents
    const batches: SeriesBatch[] = [];
    const aggregator = new Aggregator((batch) => batches.push(batch), 10_000);
    aggregator.record("/", "GET", "2xx", 1, 9_000);
    aggregator.record("/", "GET", "2xx", 2, 9_999);

    // WHEN
    aggregator.record("/", "GET", "2xx", 3, 10_000);
    aggregator.record("/", "GET", "2xx", 4, 19_999);
    aggregator.flush();

    // THEN
    expect(batches.map((b) => [b.firstMs, b.values])).toEqual([
      [9_000, [1, 2]],
      [10_000, [3, 4]],
    ]);
  });

  it("GIVEN a flush at a time WHEN the current window still runs THEN only finished windows leave, and the rest at the next flush", () => {
    // GIVEN values of window [10 s, 20 s) on one key and of [20 s, 30 s) on another
    const batches: SeriesBatch[] = [];
    const aggregator = new Aggregator((batch) => batches.push(batch), 10_000);
    aggregator.record("/a", "GET", "2xx", 1, 12_000);
    aggregator.record("/b", "GET", "2xx", 2, 21_000);

    // WHEN flushed at 21.5 s, then at 30 s
    aggregator.flush(21_500);
    const first = batches.map((b) => b.path);
    aggregator.record("/b", "GET", "2xx", 3, 29_999);
    aggregator.flush(30_000);

    // THEN
    expect(first).toEqual(["/a"]);
    expect(batches.map((b) => [b.path, b.values])).toEqual([
      ["/a", [1]],
      ["/b", [2, 3]],
    ]);
    expect(aggregator.pending).toBe(0);
  });

  it("GIVEN keys that stayed empty since the last flush WHEN flushed again THEN they are forgotten", () => {
    // GIVEN
    const { aggregator, batches } = collect();
    aggregator.record("/a", "GET", "2xx", 1, 1_000);
    aggregator.flush();

    // WHEN
    aggregator.flush();
    aggregator.record("/a", "GET", "2xx", 2, 2_000);
    aggregator.flush();

    // THEN
    expect(batches.map((b) => [b.path, b.values, b.firstMs])).toEqual([
      ["/a", [1], 1_000],
      ["/a", [2], 2_000],
    ]);
  });
});

describe("latencyJson", () => {
  it("GIVEN whole microseconds WHEN written THEN the text is JSON.stringify of the milliseconds", () => {
    // GIVEN / WHEN / THEN
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2 ** 31 + 1000 }), { minLength: 1, maxLength: 100 }), (micros) => {
        const ms = micros.map((us) => us / 1000);
        expect(latencyJson(micros)).toBe(JSON.stringify(ms.length === 1 ? ms[0] : ms));
      }),
    );
  });
});

describe("EmfDocuments", () => {
  it("GIVEN 100 values WHEN an aggregate document is built THEN one valid document holds them as an array with Method as a property", () => {
    // GIVEN
    const documents = new EmfDocuments(settings);
    const micros = Array.from({ length: 100 }, (_, i) => i * 100);

    // WHEN
    const serialized = documents.aggregate("/items/:id", "GET", "2xx", micros, NOW);

    // THEN
    const [document] = parseValid(serialized.map((s) => s.line));
    expect(serialized.map((s) => s.samples)).toEqual([100]);
    expect(latencyValues(document as never)).toEqual(micros.map((us) => us / 1000));
    expect(document).toMatchObject({ [DIMENSIONS.path]: "/items/:id", [PROPERTIES.method]: "GET" });
  });

  it.each([
    ["defaults", settings],
    [
      "default dimensions and a log stream",
      { ...settings, defaultDimensions: true, logStreamName: "task/1" },
    ],
    ["high resolution", { ...settings, highResolution: true }],
  ])(
    "GIVEN %s WHEN documents are built from templates THEN they equal the library's serialization byte for byte",
    (_name, given) => {
      // GIVEN
      const documents = new EmfDocuments(given);
      const fields = { method: "PUT", url: '/items/"7"\u2028', statusCode: 503, requestId: "r-1" };

      // WHEN
      const aggregate = documents.aggregate("/items/:id", "PUT", "5xx", [12_500, 1, 100_000], NOW);
      const request = documents.request("/items/:id", "5xx", 12_500, fields, NOW);

      // THEN
      const properties = {
        [PROPERTIES.method]: "PUT",
        [PROPERTIES.url]: fields.url,
        [PROPERTIES.statusCode]: 503,
        [PROPERTIES.requestId]: "r-1",
      };
      expect(aggregate.map((d) => d.line)).toEqual([
        documents.viaLibrary("/items/:id", "5xx", [12_500, 1, 100_000], { [PROPERTIES.method]: "PUT" }, NOW)
          .line,
      ]);
      expect(request.line).toBe(documents.viaLibrary("/items/:id", "5xx", [12_500], properties, NOW).line);
      expect(parseValid([request.line, ...aggregate.map((d) => d.line)])).toHaveLength(2);
      // The sizes the transport accounts with, computed from the templates, are the lines' UTF-8 sizes.
      expect([request, ...aggregate].map((d) => d.bytes)).toEqual(
        [request, ...aggregate].map((d) => Buffer.byteLength(d.line)),
      );
    },
  );

  it.each([
    [true, { Name: "Latency", Unit: "Milliseconds", StorageResolution: 1 }],
    [false, { Name: "Latency", Unit: "Milliseconds" }],
  ])(
    "GIVEN highResolution %s WHEN aggregate and request documents are built THEN they define Latency as %j and pass the EMF schema",
    (highResolution, definition) => {
      // GIVEN
      const documents = new EmfDocuments({ ...settings, highResolution });
      const fields = { method: "GET", url: "/items/7", statusCode: 200, requestId: undefined };

      // WHEN
      const lines = [
        ...documents.aggregate("/items/:id", "GET", "2xx", [1_000, 2_000], NOW).map((d) => d.line),
        documents.request("/items/:id", "2xx", 1_500, fields, NOW).line,
      ];

      // THEN the one metric definition, shared by the three dimension sets, says the resolution
      const parsed = parseValid(lines);
      for (const document of parsed)
        expect(document._aws.CloudWatchMetrics).toEqual([expect.objectContaining({ Metrics: [definition] })]);
    },
  );

  it("GIVEN a document one byte over maxDocumentBytes WHEN built THEN it is split into halves that fit and no value is lost", () => {
    // GIVEN the size of a 100-value document, and a limit one byte below it
    const micros = Array.from({ length: 100 }, (_, i) => 1_000_000 + i * 1001);
    const [whole] = new EmfDocuments(settings).aggregate("/items/:id", "GET", "2xx", micros, NOW);
    const size = Buffer.byteLength(whole?.line ?? "");
    const documents = new EmfDocuments({ ...settings, maxDocumentBytes: size - 1 });

    // WHEN
    const serialized = documents.aggregate("/items/:id", "GET", "2xx", micros, NOW);

    // THEN
    expect(serialized.map((s) => s.samples)).toEqual([50, 50]);
    expect(serialized.every((s) => Buffer.byteLength(s.line) <= size - 1)).toBe(true);
    expect(parseValid(serialized.map((s) => s.line)).flatMap((d) => latencyValues(d))).toEqual(
      micros.map((us) => us / 1000),
    );
  });

  it("GIVEN a Path the library rejects WHEN a document is built THEN the library's validation error is thrown", () => {
    // GIVEN a non-ASCII route template
    const documents = new EmfDocuments(settings);

    // WHEN / THEN
    expect(() => documents.aggregate("/café/:id", "GET", "2xx", [1], NOW)).toThrow(
      "Dimension value /café/:id has invalid characters",
    );
  });
});
