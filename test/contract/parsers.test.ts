import { LOG_GROUP_NAME } from "../../contract/cloudwatch-names";
import { environmentSource, type Found, Reader, type Source } from "../../contract/parsers";
import { Problems } from "../../contract/problems";

/** A reader over fixed values (text unless `typed`), named `<key> (SOURCE)`, and its problems. */
function readerOf(values: Record<string, unknown>, typed = false): { read: Reader; problems: Problems } {
  const problems = new Problems();
  const source: Source = (key) =>
    key in values
      ? { value: values[key], name: `${key} (SOURCE)`, ...(typed ? { fromText: false } : {}) }
      : undefined;
  return { read: new Reader(problems, source), problems };
}

describe("Reader.integer", () => {
  it("GIVEN digits, a negative number in range and a typed integer WHEN read THEN each is its number", () => {
    // GIVEN
    const { read, problems } = readerOf({ a: "42", b: "-3", c: 7, d: "0" });

    // WHEN / THEN
    expect(read.integer("a", { min: 1, max: 65535 })).toBe(42);
    expect(read.integer("b", { min: -5 })).toBe(-3);
    expect(read.integer("c")).toBe(7);
    expect(read.integer("d", { min: 0, max: 0 })).toBe(0);
    expect(problems.all).toEqual([]);
  });

  it.each([
    ["abc"],
    ["80.5"],
    ["1e3"],
    [" 80"],
    ["+80"],
    ["0x50"],
    ["0"],
    ["65536"],
    ["99999999999999999999"],
  ])(
    "GIVEN the text %j WHEN read as an integer from 1 to 65535 THEN it is refused naming the value and the range",
    (text) => {
      // GIVEN
      const { read, problems } = readerOf({ PORT: text });

      // WHEN
      const value = read.integer("PORT", { min: 1, max: 65535 });

      // THEN
      expect(value).toBeUndefined();
      expect(problems.all).toEqual([
        `PORT (SOURCE) ${JSON.stringify(text)} is not valid; allowed: an integer from 1 to 65535`,
      ]);
    },
  );

  it("GIVEN one bound, a unit or a wording of the caller's WHEN refused THEN the message says it so", () => {
    // GIVEN
    const { read, problems } = readerOf({ a: "-1", b: "11", c: 0, d: "0", e: "x" });

    // WHEN
    read.integer("a", { min: 0 });
    read.integer("b", { max: 10 });
    read.integer("c", { min: 1, max: 600_000, unit: "ms" });
    read.integer("d", { min: 1, allowed: "a positive number of milliseconds" });
    read.integer("e");

    // THEN
    expect(problems.all).toEqual([
      'a (SOURCE) "-1" is not valid; allowed: an integer of at least 0',
      'b (SOURCE) "11" is not valid; allowed: an integer of at most 10',
      "c (SOURCE) 0 is not valid; allowed: an integer of ms from 1 to 600000",
      'd (SOURCE) "0" is not valid; allowed: a positive number of milliseconds',
      'e (SOURCE) "x" is not valid; allowed: an integer',
    ]);
  });

  it("GIVEN a typed source WHEN a string of digits or a fraction is read as an integer THEN both are refused as given", () => {
    // GIVEN: a JavaScript option, where "4096" is a string, not a number
    const { read, problems } = readerOf({ bufferSize: "4096", lines: 2.5 }, true);

    // WHEN / THEN
    expect(read.integer("bufferSize", { min: 1024, unit: "bytes" })).toBeUndefined();
    expect(read.integer("lines")).toBeUndefined();
    expect(problems.all).toEqual([
      'bufferSize (SOURCE) "4096" is not valid; allowed: an integer of bytes of at least 1024',
      "lines (SOURCE) 2.5 is not valid; allowed: an integer",
    ]);
  });
});

describe("Reader.number", () => {
  it("GIVEN decimal text and typed numbers WHEN read THEN each is its number", () => {
    // GIVEN
    const { read, problems } = readerOf({ a: "5", b: "0.01", c: 99.5, d: "-2.5" });

    // WHEN / THEN
    expect(read.number("a", { min: 0.01, max: 100 })).toBe(5);
    expect(read.number("b", { min: 0.01, max: 100 })).toBe(0.01);
    expect(read.number("c", { max: 100 })).toBe(99.5);
    expect(read.number("d")).toBe(-2.5);
    expect(problems.all).toEqual([]);
  });

  it("GIVEN a value out of range, no decimal, or the minimum with exclusiveMin WHEN read THEN each is refused", () => {
    // GIVEN
    const { read, problems } = readerOf({ a: "120", b: ".5", c: "1e2", d: "0", e: Number.POSITIVE_INFINITY });

    // WHEN
    read.number("a", { min: 0.01, max: 100 });
    read.number("b");
    read.number("c");
    read.number("d", { min: 0, max: 100, exclusiveMin: true });
    read.number("e");

    // THEN
    expect(problems.all).toEqual([
      'a (SOURCE) "120" is not valid; allowed: a number from 0.01 to 100',
      'b (SOURCE) ".5" is not valid; allowed: a number',
      'c (SOURCE) "1e2" is not valid; allowed: a number',
      'd (SOURCE) "0" is not valid; allowed: a number above 0, at most 100',
      "e (SOURCE) Infinity is not valid; allowed: a number",
    ]);
  });
});

describe("Reader.boolean", () => {
  it("GIVEN the texts true and false and typed booleans WHEN read THEN each is its boolean", () => {
    const { read } = readerOf({ a: "true", b: "false", c: true, d: false });

    expect([read.boolean("a"), read.boolean("b"), read.boolean("c"), read.boolean("d")]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it("GIVEN another spelling, or text from a typed source WHEN read THEN it is refused with what is allowed there", () => {
    // GIVEN
    const text = readerOf({ a: "yes", b: "TRUE", c: 1 });
    const typed = readerOf({ defaultDimensions: "true" }, true);

    // WHEN
    text.read.boolean("a");
    text.read.boolean("b");
    text.read.boolean("c");
    typed.read.boolean("defaultDimensions");

    // THEN
    expect(text.problems.all).toEqual([
      'a (SOURCE) "yes" is not valid; allowed: true, false',
      'b (SOURCE) "TRUE" is not valid; allowed: true, false',
      "c (SOURCE) 1 is not valid; allowed: true, false",
    ]);
    expect(typed.problems.all).toEqual([
      'defaultDimensions (SOURCE) "true" is not valid; allowed: a boolean',
    ]);
  });
});

describe("Reader.oneOf", () => {
  it("GIVEN an allowed value, another case and a number WHEN read THEN only the exact value is taken", () => {
    // GIVEN
    const { read, problems } = readerOf({ a: "request", b: "Request", c: 1 });
    const modes = ["off", "aggregate", "request"] as const;

    // WHEN / THEN
    expect(read.oneOf("a", modes)).toBe("request");
    expect(read.oneOf("b", modes)).toBeUndefined();
    expect(read.oneOf("c", modes)).toBeUndefined();
    expect(problems.all).toEqual([
      'b (SOURCE) "Request" is not valid; allowed: off, aggregate, request',
      "c (SOURCE) 1 is not valid; allowed: off, aggregate, request",
    ]);
  });
});

describe("Reader.list", () => {
  it("GIVEN comma-separated text, a JSON array, blank text and a typed array WHEN read THEN each is its list", () => {
    // GIVEN
    const { read, problems } = readerOf({
      csv: " eu-west-2a, eu-west-2c ",
      json: ' ["10.0.0.0/16", "10.1.0.0/16"]',
      blank: "  ",
      typed: ["subnet-1"],
      one: "subnet-1",
    });

    // WHEN / THEN
    expect(read.list("csv")).toEqual(["eu-west-2a", "eu-west-2c"]);
    expect(read.list("json")).toEqual(["10.0.0.0/16", "10.1.0.0/16"]);
    expect(read.list("blank")).toEqual([]);
    expect(read.list("typed")).toEqual(["subnet-1"]);
    expect(read.list("one")).toEqual(["subnet-1"]);
    expect(problems.all).toEqual([]);
  });

  it("GIVEN a JSON array of numbers, broken JSON and a typed number WHEN read THEN each is refused as given", () => {
    // GIVEN
    const { read, problems } = readerOf({ a: "[1,2]", b: '["a"', c: 5, d: [1] });

    // WHEN
    for (const key of ["a", "b", "c", "d"]) read.list(key);

    // THEN
    const allowed = "allowed: a JSON array of strings or comma-separated values";
    expect(problems.all).toEqual([
      `a (SOURCE) "[1,2]" is not valid; ${allowed}`,
      `b (SOURCE) "[\\"a\\"" is not valid; ${allowed}`,
      `c (SOURCE) 5 is not valid; ${allowed}`,
      `d (SOURCE) [1] is not valid; ${allowed}`,
    ]);
  });
});

describe("Reader.string", () => {
  it("GIVEN strings with and without a pattern or a rule WHEN read THEN those that pass are taken", () => {
    // GIVEN
    const { read, problems } = readerOf({ region: "eu-west-2", name: "anything at all", group: "/ecs/app" });

    // WHEN / THEN
    expect(read.string("region", { pattern: /^[a-z]{2}(-[a-z]+)+-\d$/ })).toBe("eu-west-2");
    expect(read.string("name")).toBe("anything at all");
    expect(read.string("group", LOG_GROUP_NAME)).toBe("/ecs/app");
    expect(problems.all).toEqual([]);
  });

  it("GIVEN strings that fail a pattern, a test or a contract rule, and a number WHEN read THEN each is refused", () => {
    // GIVEN
    const { read, problems } = readerOf({ region: "europe", host: "two words", group: "a b", name: 5 });

    // WHEN
    read.string("region", {
      pattern: /^[a-z]{2}(-[a-z]+)+-\d$/,
      what: "an AWS region",
      allowed: "e.g. eu-west-2",
    });
    read.string("host", { test: (value) => !value.includes(" "), allowed: "a hostname" });
    read.string("group", LOG_GROUP_NAME);
    read.string("name");

    // THEN
    expect(problems.all).toEqual([
      'region (SOURCE) "europe" is not an AWS region; allowed: e.g. eu-west-2',
      'host (SOURCE) "two words" is not valid; allowed: a hostname',
      `group (SOURCE) "a b" is not a log group name; allowed: ${LOG_GROUP_NAME.allowed}`,
      "name (SOURCE) 5 is not valid; allowed: a string",
    ]);
  });

  it("GIVEN a pattern and no wording WHEN refused THEN the message shows the pattern", () => {
    const { read, problems } = readerOf({ tag: "v 1" });

    read.string("tag", { pattern: /^\S+$/ });

    expect(problems.all).toEqual(['tag (SOURCE) "v 1" is not valid; allowed: a string matching /^\\S+$/']);
  });
});

describe("Reader.parse", () => {
  it("GIVEN a parser WHEN a string parses, one does not, and a number is given THEN the first is its result and the others are refused", () => {
    // GIVEN
    const { read, problems } = readerOf({ a: "tcp:1", b: "http:1", c: 1 });
    const endpoint = (text: string) =>
      text.startsWith("tcp:") ? { port: Number(text.slice(4)) } : undefined;

    // WHEN / THEN
    expect(read.parse("a", endpoint, { allowed: "tcp:<port>" })).toEqual({ port: 1 });
    expect(read.parse("b", endpoint, { allowed: "tcp:<port>" })).toBeUndefined();
    expect(read.parse("c", endpoint, { allowed: "tcp:<port>" })).toBeUndefined();
    expect(problems.all).toEqual([
      'b (SOURCE) "http:1" is not valid; allowed: tcp:<port>',
      "c (SOURCE) 1 is not valid; allowed: tcp:<port>",
    ]);
  });
});

describe("Reader with an unset key", () => {
  it("GIVEN a key the source does not have WHEN read by every parser THEN each returns undefined and nothing is recorded", () => {
    // GIVEN
    const { read, problems } = readerOf({});

    // WHEN / THEN
    expect([
      read.integer("x"),
      read.number("x"),
      read.boolean("x"),
      read.oneOf("x", ["a"]),
      read.list("x"),
      read.string("x"),
      read.parse("x", () => 1, { allowed: "" }),
      read.raw("x"),
      read.isSet("x"),
    ]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      false,
    ]);
    expect(problems.all).toEqual([]);
  });

  it("GIVEN a set key WHEN asked THEN isSet is true and raw is the value unconverted, valid or not", () => {
    const { read, problems } = readerOf({ json: '{"a":1}' });

    expect(read.isSet("json")).toBe(true);
    expect(read.raw("json")).toBe('{"a":1}');
    expect(problems.all).toEqual([]);
  });
});

describe("environmentSource", () => {
  it("GIVEN set, empty and missing variables WHEN looked up THEN set ones are text named by the variable, the others unset", () => {
    // GIVEN
    const source = environmentSource({ PORT: "8080", HOST: "" });

    // WHEN / THEN
    expect(source("PORT")).toEqual<Found>({ value: "8080", name: "PORT" });
    expect(source("HOST")).toBeUndefined();
    expect(source("LOG_LEVEL")).toBeUndefined();
  });

  it("GIVEN a secret variable with a value that is refused WHEN read THEN the message redacts the value", () => {
    // GIVEN
    const problems = new Problems();
    const read = new Reader(
      problems,
      environmentSource({ RDS_PASSWORD: "hunter2" }, { secrets: ["RDS_PASSWORD"] }),
    );

    // WHEN
    read.integer("RDS_PASSWORD");

    // THEN
    expect(problems.all).toEqual(["RDS_PASSWORD <redacted> is not valid; allowed: an integer"]);
    expect(problems.all.join("\n")).not.toContain("hunter2");
  });
});
