import {
  alarmEntriesPerEvaluation,
  allBreachingPerEvaluation,
  binomialTail,
  breachProbability,
  periodsToFire,
  shareBeyondChance,
  shareOnly,
} from "./false-alarms";

// The synthesized alarms' settings: 10 requests a minute, 2 per 10 s (ceil(10 / 6)).
const BEFORE = { minute: shareOnly(10), tenSeconds: shareOnly(2) };
const NOW = { minute: shareBeyondChance(10), tenSeconds: shareBeyondChance(2) };
const HEALTHY = 0.005;
const PER_DAY = { minute: 1440, tenSeconds: 8640 };

/** Expected gate OK → ALARM transitions a day (3 of 5) at `rate` requests/s. */
const gatePerDay = (rule: keyof typeof NOW, table: typeof NOW, rate: number, p = HEALTHY) => {
  const n = rate * (rule === "minute" ? 60 : 10);
  return alarmEntriesPerEvaluation(breachProbability(table[rule], n, p), 3, 5) * PER_DAY[rule];
};
/** Expected scale-out evaluations in ALARM a day (3 of 3, a task each). */
const scaleOutPerDay = (table: typeof NOW, rate: number) =>
  allBreachingPerEvaluation(breachProbability(table.minute, rate * 60, HEALTHY), 3) * PER_DAY.minute;

describe("the false-alarm and detection figures of docs/alarms.md", () => {
  it("GIVEN a binomial WHEN its tail is computed THEN it matches the closed forms", () => {
    expect(binomialTail(60, 0.005, 1)).toBeCloseTo(1 - 0.995 ** 60, 12);
    expect(binomialTail(2, 0.5, 2)).toBeCloseTo(0.25, 12);
    expect([binomialTail(10, 1, 10), binomialTail(10, 0.1, 11), binomialTail(10, 0.1, 0)]).toEqual([1, 0, 1]);
  });

  it("GIVEN the smallest breaching counts WHEN read per rate THEN they are 3 of 60, 9 of 300, 23 of 1,200 and 674 of 60,000", () => {
    expect([60, 300, 1200, 60_000].map(NOW.minute)).toEqual([3, 9, 23, 674]);
    expect([60, 300, 1200, 60_000].map(BEFORE.minute)).toEqual([1, 4, 13, 601]);
    expect(NOW.minute(9)).toBe(Number.POSITIVE_INFINITY);
  });

  it("GIVEN a healthy service with 0.5 % slow WHEN the gate and scale-out run a day THEN the table's rates hold", () => {
    const round = (value: number) => Number(value.toPrecision(2));
    expect([1, 5, 20].map((rate) => round(gatePerDay("minute", BEFORE, rate)))).toEqual([61, 2, 0.0055]);
    expect([1, 5, 20].map((rate) => round(gatePerDay("minute", NOW, rate)))).toEqual([
      0.00035, 1.4e-10, 6.2e-18,
    ]);
    expect([1, 5, 20].map((rate) => round(scaleOutPerDay(BEFORE, rate)))).toEqual([25, 0.4, 0.00093]);
    expect([1, 5, 20].map((rate) => round(scaleOutPerDay(NOW, rate)))).toEqual([6e-5, 2.4e-11, 1e-18]);
    expect([1, 5, 20].map((rate) => round(gatePerDay("tenSeconds", BEFORE, rate)))).toEqual([5.2, 270, 21]);
    expect([1, 5, 20].map((rate) => round(gatePerDay("tenSeconds", NOW, rate)))).toEqual([
      1.6e-10, 0.00045, 2.4e-8,
    ]);
    expect(Math.max(gatePerDay("minute", NOW, 1000), gatePerDay("tenSeconds", NOW, 1000))).toBeLessThan(
      1e-50,
    );
  });

  it("GIVEN every period size from 2 to 20,000 requests WHEN the worst is found THEN it is 62 requests, once in six years for the gate, once a year for the 10-s gate, once in 35 years for the scale-out", () => {
    let worst = { n: 0, q: 0 };
    for (let n = 2; n <= 20_000; n++) {
      const q = breachProbability(NOW.minute, n, HEALTHY);
      if (q > worst.q) worst = { n, q };
    }
    const years = (perDay: number) => Math.round(1 / perDay / 365);

    expect(worst.n).toBe(62);
    expect(worst.q).toBeCloseTo(0.0038, 4);
    expect(years(alarmEntriesPerEvaluation(worst.q, 3, 5) * PER_DAY.minute)).toBe(6);
    expect(years(alarmEntriesPerEvaluation(worst.q, 3, 5) * PER_DAY.tenSeconds)).toBe(1);
    expect(years(allBreachingPerEvaluation(worst.q, 3) * PER_DAY.minute)).toBe(35);
  });

  it("GIVEN a service at the edge, 1 % slow WHEN the gate runs a day THEN it fires about once in 11 days at 1 req/s and once in 7 years at 5", () => {
    expect(Math.round(1 / gatePerDay("minute", NOW, 1, 0.01))).toBe(11);
    expect(Math.round(1 / gatePerDay("minute", NOW, 5, 0.01) / 365)).toBe(7);
  });

  it("GIVEN regressions WHEN the alarms judge them THEN they fire in the table's minutes (median / 99th percentile)", () => {
    const fire = (rule: keyof typeof NOW, n: number, p: number, m: number, of: number) =>
      periodsToFire(breachProbability(NOW[rule], n, p), m, of, 200_000);

    expect(fire("minute", 60, 1, 3, 5)).toEqual({ median: 3, p99: 3 });
    expect(fire("minute", 60_000, 1, 3, 5)).toEqual({ median: 3, p99: 3 });
    expect(fire("minute", 60, 0.05, 3, 5)).toEqual({ median: 5, p99: 17 });
    expect(fire("minute", 60_000, 0.05, 3, 5)).toEqual({ median: 3, p99: 3 });
    expect(fire("minute", 60, 0.05, 3, 3)).toEqual({ median: 7, p99: 37 });
    expect(fire("minute", 60_000, 0.05, 3, 3)).toEqual({ median: 3, p99: 3 });
    expect(fire("tenSeconds", 10, 1, 3, 5)).toEqual({ median: 3, p99: 3 });
    expect(fire("tenSeconds", 10_000, 0.05, 3, 5)).toEqual({ median: 3, p99: 3 });
    // 10 requests per 10 s, 5 % slow: about 9 days of 10-s periods for even odds.
    const tenSecondsAtOne = fire("tenSeconds", 10, 0.05, 3, 5);
    expect(Math.round(((tenSecondsAtOne.median ?? 0) * 10) / 86_400)).toBe(9);
    expect(tenSecondsAtOne.p99).toBeUndefined();
  });
});
