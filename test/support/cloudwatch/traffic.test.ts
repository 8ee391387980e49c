import { dimensionValuesOf, isSampleOf, samplesPerPeriod, seededRandom, traffic } from "./traffic";

describe("synthetic traffic", () => {
  it("GIVEN a rate below 1 WHEN generated THEN requests are evenly spaced from the start, none at the end", () => {
    const requests = traffic({ ratePerSecond: 0.1, seconds: 60, startSeconds: 30, latencyMs: 5 });
    expect(requests.map((request) => request.time)).toEqual([30, 40, 50, 60, 70, 80]);
    expect(traffic({ ratePerSecond: 1000, seconds: 60, latencyMs: 5 })).toHaveLength(60_000);
  });

  it("GIVEN the same seed WHEN generated twice THEN the latencies are the same, and another seed differs", () => {
    const jitter = (_: number, random: () => number) => 100 + Math.round(random() * 50);
    const first = traffic({ ratePerSecond: 5, seconds: 10, latencyMs: jitter, seed: 7 });
    const again = traffic({ ratePerSecond: 5, seconds: 10, latencyMs: jitter, seed: 7 });
    const other = traffic({ ratePerSecond: 5, seconds: 10, latencyMs: jitter, seed: 8 });
    expect(again).toEqual(first);
    expect(other.map((r) => r.latencyMs)).not.toEqual(first.map((r) => r.latencyMs));
    const random = seededRandom(3);
    const draws = Array.from({ length: 1000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });

  it("GIVEN a rate of 0 WHEN generated THEN it is refused with the allowed values", () => {
    expect(() => traffic({ ratePerSecond: 0, seconds: 10, latencyMs: 1 })).toThrow(
      "traffic: ratePerSecond 0 and seconds 10; allowed: a rate above 0 and seconds of at least 0",
    );
  });

  it("GIVEN one request WHEN mapped to metrics THEN it counts under {Path}, {StatusClass} and {} as the EMF contract publishes", () => {
    const [request] = traffic({ ratePerSecond: 1, seconds: 1, latencyMs: 9, path: "/a", status: "5xx" });
    if (!request) throw new Error("no request generated");
    expect(dimensionValuesOf(request)).toEqual([{ Path: "/a" }, { StatusClass: "5xx" }, {}]);
    expect(isSampleOf(request, {})).toBe(true);
    expect(isSampleOf(request, { Path: "/a" })).toBe(true);
    expect(isSampleOf(request, { StatusClass: "5xx" })).toBe(true);
    expect(isSampleOf(request, { Path: "/b" })).toBe(false);
    expect(isSampleOf(request, { Path: "/a", StatusClass: "5xx" })).toBe(false);
    expect(isSampleOf(request, { Method: "GET" })).toBe(false);
  });

  it("GIVEN requests around period boundaries WHEN bucketed THEN a period holds [start, end) and requests outside the grid are dropped", () => {
    const requests = [0, 59.9, 60, 119, 180, -1].map((time) => ({
      time,
      latencyMs: time,
      path: "/a",
      statusClass: "2xx" as const,
    }));
    expect(samplesPerPeriod(requests, {}, 60, 3)).toEqual([[0, 59.9], [60, 119], []]);
  });
});
