import { formatProblems, Problems, ProblemsError, show } from "../../contract/problems";

/** A subclass as the app and the stack declare theirs: a header of its own and the problems. */
class SampleError extends ProblemsError {
  constructor(problems: readonly string[]) {
    super("sample configuration is invalid", problems);
  }
}

describe("Problems", () => {
  it("GIVEN several recorded problems WHEN thrown THEN one Error has the header and each problem on its own line, in order", () => {
    // GIVEN
    const problems = new Problems();
    problems.add("first is wrong");
    problems.check(false, "never recorded");
    problems.check(true, "second is wrong");
    problems.add("third is wrong", "fourth is wrong");

    // WHEN / THEN
    expect(() => problems.throwIfAny("stack/Thing: invalid props")).toThrow(
      new Error(
        "stack/Thing: invalid props:\n- first is wrong\n- second is wrong\n- third is wrong\n- fourth is wrong",
      ),
    );
    expect(problems.all).toEqual(["first is wrong", "second is wrong", "third is wrong", "fourth is wrong"]);
    expect(problems.isEmpty).toBe(false);
  });

  it("GIVEN the caller's error class WHEN thrown THEN the error is of that class with the same message", () => {
    // GIVEN
    const problems = new Problems();
    problems.add('mode "fast" is not valid; allowed: off, aggregate, request');

    // WHEN
    let thrown: unknown;
    try {
      problems.throwIfAny("latencyMetrics: invalid options", TypeError);
    } catch (error) {
      thrown = error;
    }

    // THEN
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toBe(
      'latencyMetrics: invalid options:\n- mode "fast" is not valid; allowed: off, aggregate, request',
    );
  });

  it("GIVEN no recorded problem WHEN throwIfAny runs THEN it returns normally and lists nothing", () => {
    // GIVEN
    const problems = new Problems();
    problems.check(false, "never recorded");

    // WHEN
    const returned = problems.throwIfAny("stack/Thing: invalid props");

    // THEN
    expect(returned).toBeUndefined();
    expect(problems.all).toEqual([]);
    expect(problems.isEmpty).toBe(true);
  });
});

describe("ProblemsError", () => {
  it("GIVEN a subclass with its header WHEN constructed THEN it has the subclass's name, the formatted message and a frozen copy of the problems", () => {
    // GIVEN
    const given = ['PORT="x" is not valid; allowed: an integer from 1 to 65535', "second"];

    // WHEN
    const error = new SampleError(given);
    given.push("added later");

    // THEN
    expect(error).toBeInstanceOf(ProblemsError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("SampleError");
    expect(error.message).toBe(
      'sample configuration is invalid:\n- PORT="x" is not valid; allowed: an integer from 1 to 65535\n- second',
    );
    expect(error.problems).toEqual(['PORT="x" is not valid; allowed: an integer from 1 to 65535', "second"]);
    expect(Object.isFrozen(error.problems)).toBe(true);
  });

  it("GIVEN a header and one problem WHEN formatted THEN the message is the header, a colon and one dash line", () => {
    expect(formatProblems("invalid configuration", ["a"])).toBe("invalid configuration:\n- a");
  });
});

describe("show", () => {
  it.each([
    ["a string, quoted", "abc", '"abc"'],
    ["a string with a quote and a newline, JSON-escaped", 'a"b\nc', '"a\\"b\\nc"'],
    ["an integer", 12, "12"],
    ["a fraction", 1.5, "1.5"],
    ["NaN, which JSON would show as null", Number.NaN, "NaN"],
    ["a boolean", false, "false"],
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
    ["an array of data", ["a", 1], '["a",1]'],
    ["a plain object of data", { valueFrom: "x", store: "ssm" }, '{"valueFrom":"x","store":"ssm"}'],
    ["a function", () => 0, "function"],
    ["an object holding a function, which JSON would show as {}", { now: () => 0 }, "object"],
    ["a class instance (a logger, a stream)", new Map([["a", 1]]), "object"],
  ])("GIVEN %s WHEN shown THEN it reads %p", (_case, value, expected) => {
    expect(show(value)).toBe(expected);
  });

  it("GIVEN an object that contains itself WHEN shown THEN it is shown as its type instead of throwing", () => {
    // GIVEN
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;

    // WHEN / THEN
    expect(show(cyclic)).toBe("object");
  });

  it("GIVEN the same object twice in an array WHEN shown THEN it is data, not a cycle", () => {
    // GIVEN
    const shared = { a: 1 };

    // WHEN / THEN
    expect(show([shared, shared])).toBe('[{"a":1},{"a":1}]');
  });
});
