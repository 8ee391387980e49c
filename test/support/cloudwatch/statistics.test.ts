import { computeStatistic, lowSampleThreshold, parseStatistic } from "./statistics";

/** 1, 2, ..., n shuffled, so nothing depends on the input order. */
function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 37) % n) + 1);
}

describe("CloudWatch statistics over one period", () => {
  it("GIVEN 1..10 WHEN the simple statistics are computed THEN they are count, sum, sum/count, min and max", () => {
    const samples = oneTo(10);
    expect(
      ["SampleCount", "Sum", "Average", "Minimum", "Maximum"].map((s) => computeStatistic(s, samples)),
    ).toEqual([10, 55, 5.5, 1, 10]);
  });

  it("GIVEN a period without samples WHEN any statistic is computed THEN there is no datapoint, SampleCount included", () => {
    for (const name of ["SampleCount", "Sum", "p99", "PR(:300)", "TC(:300)", "tm90"])
      expect(computeStatistic(name, [])).toBeUndefined();
  });

  it("GIVEN 1..100 WHEN pNN is computed THEN it is the nearest-rank value with NN % of the samples at or below it", () => {
    const samples = oneTo(100);
    expect(["p50", "p90", "p99", "p99.5", "p100", "p0"].map((p) => computeStatistic(p, samples))).toEqual([
      50, 90, 99, 100, 100, 1,
    ]);
    expect(computeStatistic("p99", [5, 7])).toBe(7);
  });

  it("GIVEN 100, 200, 300, 400 WHEN PR is computed THEN it is the percentage in (lower, upper], lower exclusive, upper inclusive", () => {
    const samples = [400, 100, 300, 200];
    expect(computeStatistic("PR(:300)", samples)).toBe(75);
    expect(computeStatistic("PR(100:300)", samples)).toBe(50);
    expect(computeStatistic("PR(300:)", samples)).toBe(25);
    expect(computeStatistic("PR(:99)", samples)).toBe(0);
  });

  it("GIVEN absolute bounds WHEN TC, TS and TM are computed THEN they count, sum and average the samples in (lower, upper]", () => {
    const samples = [80, 81, 500, 501];
    expect(computeStatistic("TC(80:500)", samples)).toBe(2);
    expect(computeStatistic("TS(80:500)", samples)).toBe(581);
    expect(computeStatistic("TM(80:500)", samples)).toBe(290.5);
    expect(computeStatistic("TC(:80)", samples)).toBe(1);
    expect(computeStatistic("TC(600:)", samples)).toBe(0);
    expect(computeStatistic("TM(600:)", samples)).toBeUndefined();
  });

  it("GIVEN 1..100 WHEN percentage-bounded trimmed statistics are computed THEN the lowest and highest ranks are cut by nearest rank", () => {
    const samples = oneTo(100);
    expect(computeStatistic("tm90", samples)).toBe(45.5);
    expect(computeStatistic("tc90", samples)).toBe(90);
    expect(computeStatistic("ts90", samples)).toBe(4095);
    expect(computeStatistic("TM(10%:90%)", samples)).toBe(50.5);
    expect(computeStatistic("TC(10%:90%)", samples)).toBe(80);
    expect(computeStatistic("IQM", samples)).toBe(50.5);
    expect(computeStatistic("TC(25%:75%)", samples)).toBe(50);
  });

  it("GIVEN a negative value WHEN a percentile is asked for THEN it is refused, as CloudWatch does not offer one", () => {
    expect(() => computeStatistic("p99", [1, -1])).toThrow("percentile is not available for negative values");
    expect(computeStatistic("Sum", [1, -1])).toBe(0);
  });

  it("GIVEN names outside the documented syntax WHEN parsed THEN each is refused with the allowed forms", () => {
    for (const name of ["Median", "p101", "PR(10%:90%)", "PR(:)", "TM(a:b)", "TM90", "average"])
      expect(() => parseStatistic(name)).toThrow(
        `statistic ${JSON.stringify(name)} is not modelled; allowed:`,
      );
  });

  it("GIVEN percentiles WHEN the low-sample threshold is computed THEN it is 10/(1-p) from p50 up, 10/p below, none elsewhere", () => {
    expect(["p99", "p95", "p90", "p50", "p99.9", "p10"].map((p) => lowSampleThreshold(p))).toEqual([
      1000, 200, 100, 20, 10000, 100,
    ]);
    for (const name of ["p100", "p0", "PR(:250)", "TC(:250)", "tm99", "Average"])
      expect(lowSampleThreshold(name)).toBeUndefined();
  });
});
