import { Backoff, backoffDelayMs } from "../../../app/metrics/transport/backoff";

describe("backoffDelayMs", () => {
  it.each([
    [0, 50, 100],
    [1, 100, 200],
    [3, 400, 800],
    [20, 2500, 5000],
  ])("GIVEN attempt %i WHEN computed THEN the delay is between %i and %i ms", (attempt, low, high) => {
    // GIVEN min 100 ms, max 5000 ms, and the extremes of the jitter
    const delays = [0, 0.5, 0.999_999].map((r) => backoffDelayMs(attempt, 100, 5000, () => r));

    // WHEN / THEN
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(low);
      expect(delay).toBeLessThanOrEqual(high);
    }
  });
});

describe("Backoff", () => {
  it("GIVEN failures WHEN delays are taken THEN they grow to the cap, hurried ones are the minimum, and reset starts over", () => {
    // GIVEN jitter at its top: each delay is its ceiling
    const backoff = new Backoff({ reconnectMinDelayMs: 100, reconnectMaxDelayMs: 500 }, () => 1);

    // WHEN
    const growing = [1, 2, 3, 4].map(() => backoff.next(false));
    const hurried = backoff.next(true);
    backoff.reset();
    const afterReset = backoff.next(false);

    // THEN
    expect(growing).toEqual([100, 200, 400, 500]);
    expect(hurried).toBe(100);
    expect(afterReset).toBe(100);
  });
});
