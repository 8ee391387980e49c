import { evaluateExpression, referencedIds, type Series } from "./metric-math";

/** Evaluates with the given series ("-" = no datapoint). */
function run(expression: string, series: Record<string, readonly (number | "-")[]>): (number | "-")[] {
  const length = Math.max(...Object.values(series).map((values) => values.length));
  const resolve = (id: string): Series => {
    const values = series[id];
    if (!values) throw new Error(`unknown id ${id}`);
    return values.map((value) => (value === "-" ? undefined : value));
  };
  return evaluateExpression(expression, resolve, length).map((value) => value ?? "-");
}

// The documented example series of "Using metric math" (comparison operators and IF sections).
const COMPARE = { metric1: [30, 20, 0, 0], metric2: [20, "-", 20, "-"] } as const;
const IF_SERIES = {
  metric1: [1, 1, 0, 0, "-"],
  metric2: [30, "-", 0, 0, 30],
  metric3: [0, 0, 20, "-", 20],
} as const;

describe("metric math with missing datapoints", () => {
  it("GIVEN the guide's comparison example WHEN compared THEN a missing value counts as 0 against another series", () => {
    expect(run("(metric1 < metric2)", COMPARE)).toEqual([0, 0, 1, 0]);
    expect(run("(metric1 >= 30)", COMPARE)).toEqual([1, 0, 0, 0]);
    expect(run("(metric1 > 15 AND metric2 > 15)", COMPARE)).toEqual([1, 0, 0, 0]);
    expect(run("metric1 > 15 && metric2 > 15 || metric1 == 0", COMPARE)).toEqual([1, 0, 1, 1]);
  });

  it("GIVEN the guide's IF examples WHEN evaluated THEN true with a missing value gives 0 and false with a missing value drops the point", () => {
    expect(run("IF(metric1, metric2, metric3)", IF_SERIES)).toEqual([30, 0, 20, "-", "-"]);
    expect(run("IF(metric1, 5, metric3)", IF_SERIES)).toEqual([5, 5, 20, "-", "-"]);
    expect(run("IF(metric1, metric2, 5)", IF_SERIES)).toEqual([30, 0, 5, 5, "-"]);
    expect(run("IF(metric1, metric2)", IF_SERIES)).toEqual([30, 0, "-", "-", "-"]);
    expect(run("IF(1, metric2, metric3)", IF_SERIES)).toEqual([30, "-", 0, 0, 30]);
    expect(run("IF(0, metric2)", IF_SERIES)).toEqual(["-", "-", "-", "-", "-"]);
  });

  it("GIVEN two series with gaps WHEN combined arithmetically THEN a gap is 0 unless both have one, and division by zero drops the point", () => {
    const series = { a: [1, "-", 3, "-"], b: [10, 20, "-", "-"] } as const;
    expect(run("a + b", series)).toEqual([11, 20, 3, "-"]);
    expect(run("b / a", series)).toEqual([10, "-", 0, "-"]);
    expect(run("a * 2 - 1", series)).toEqual([1, "-", 5, "-"]);
    expect(run("-a * 2", series)).toEqual([-2, "-", -6, "-"]);
    expect(run("a ^ 2", series)).toEqual([1, "-", 9, "-"]);
    expect(run("(a + 1) * 2", series)).toEqual([4, "-", 8, "-"]);
  });

  it("GIVEN FILL WHEN evaluated THEN every period without a datapoint takes the scalar or the other series' value", () => {
    const series = { a: [1, "-", 3, "-"], b: [10, 20, "-", "-"] } as const;
    expect(run("FILL(a, 0)", series)).toEqual([1, 0, 3, 0]);
    expect(run("FILL(a, b)", series)).toEqual([1, 20, 3, "-"]);
  });

  it("GIVEN the stack's 5xx-rate expression WHEN a period has no requests THEN it has no datapoint, and below 10 requests it reads 0", () => {
    const series = { requests: ["-", 5, 20, 40], errors: ["-", 5, "-", 4] } as const;
    expect(run("IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)", series)).toEqual(["-", 0, 0, 10]);
    expect(referencedIds("IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)")).toEqual([
      "requests",
      "errors",
      "requests",
    ]);
  });

  it("GIVEN a slow-share expression WHEN evaluated THEN quiet periods read 0 and empty periods have no datapoint", () => {
    const series = { requests: ["-", 3, 100], fast: ["-", 0, 90] } as const;
    expect(run("IF(requests >= 10, 100 - fast, 0)", series)).toEqual(["-", 0, 10]);
  });

  it("GIVEN the stack's slow-share expression WHEN evaluated THEN a period breaches only with at least 3 slow requests and 3 standard deviations above 1 %, and only the scale-out's reads silence as 0", () => {
    const slowRequests = "FLOOR(requests * (100 - fast) / 100 + 0.5)";
    const condition = "slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5";
    // 60 requests: 1 slow (1.7 %) and 2 slow do not breach, 3 do; 100 requests: 4 (exactly 1 + 3 × 1) does not, 5 does;
    // 57/60 fast is 95 % but 100 * 57 / 60 is not exact in binary: FLOOR(x + 0.5) still counts 3.
    const fast = ["-", 100 * (59 / 60), 100 * (58 / 60), 100 * (57 / 60), 96, 95, 100];
    const requests = ["-", 60, 60, 60, 100, 100, 5];
    const ids = { requests, fast } as Record<string, readonly (number | "-")[]>;
    const resolve = (id: string): Series => {
      if (id === "slowRequests") return evaluateExpression(slowRequests, resolve, requests.length);
      return (ids[id] ?? []).map((value) => (value === "-" ? undefined : value));
    };
    const evaluate = (expression: string) =>
      evaluateExpression(expression, resolve, requests.length).map((value) => value ?? "-");

    expect(evaluate(slowRequests)).toEqual(["-", 1, 2, 3, 4, 5, 0]);
    expect(
      evaluate(`IF(requests >= 10 AND ${condition}, 100 - fast, 0)`).map((v) =>
        v === "-" ? v : Math.round(v),
      ),
    ).toEqual(["-", 0, 0, 5, 0, 5, 0]);
    expect(evaluate(`IF(FILL(requests, 0) >= 10 AND ${condition}, 100 - fast, 0)`)[0]).toBe(0);
  });

  it("GIVEN MIN and MAX of an array WHEN evaluated THEN they are pointwise with a missing value as 0", () => {
    const series = { a: [1, "-", 5, "-"], b: [3, 2, "-", "-"] } as const;
    expect(run("MAX([a, b])", series)).toEqual([3, 2, 5, "-"]);
    expect(run("MIN([a, b])", series)).toEqual([1, 0, 0, "-"]);
  });

  it("GIVEN expressions outside the modelled subset WHEN evaluated THEN each is refused by name", () => {
    const series = { a: [1, 2] } as const;
    expect(() => run("MAX(a)", series)).toThrow("MAX is modelled only as MAX([ts, ...])");
    expect(() => run("AVG(a)", series)).toThrow(
      "function AVG is not modelled; allowed: IF, FILL, FLOOR, MIN([..]), MAX([..])",
    );
    expect(() => run("a + 1 )", series)).toThrow("unexpected trailing input");
    expect(() => run("a $ 1", series)).toThrow("cannot read from position");
    expect(() => run("1 + 2", series)).toThrow("yields a scalar; an alarm needs one time series");
    expect(() => run("FILL(1, a)", series)).toThrow("FILL's first argument must be a time series");
    expect(() => run("b + 1", series)).toThrow("unknown id b");
  });
});
