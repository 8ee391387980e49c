/**
 * The arithmetic behind docs/alarms.md's false-alarm and detection figures for the latency alarms: how often a period
 * breaches when each request is slow with probability p (exact binomial), and what an M-of-N alarm makes of
 * independent periods that breach with that probability. The simulations in test/modules/alarm-semantics-*.test.ts
 * check the same alarms on seeded traffic; this file gives the rates no simulated day can (once in six years).
 *
 * Assumptions: requests are independent (a slow request does not make the next one slow), traffic is steady, and
 * every period has its datapoint (the evaluation range and missing data then play no part).
 */

/** Which slow counts breach in a period of `n` requests; `Infinity` when the period is not judged. */
export type BreachRule = (n: number) => number;

/** Before: more than 1 % slow, in periods with at least `minRequests` requests. */
export function shareOnly(minRequests: number): BreachRule {
  return (n) => (n < minRequests ? Number.POSITIVE_INFINITY : Math.floor(n / 100) + 1);
}

/** Now: at least `minSlow` slow, and more than n/100 + sigmas·sqrt(n/100), with at least `minRequests` requests. */
export function shareBeyondChance(minRequests: number, minSlow = 3, sigmas = 3): BreachRule {
  return (n) => {
    if (n < minRequests) return Number.POSITIVE_INFINITY;
    const expected = n / 100;
    return Math.max(minSlow, Math.floor(expected + sigmas * Math.sqrt(expected)) + 1);
  };
}

/** P(X ≥ c) for X ~ Binomial(n, p), summed in log space so that neither a far tail nor a large n underflows. */
export function binomialTail(n: number, p: number, c: number): number {
  if (c <= 0) return 1;
  if (c > n) return 0;
  if (p >= 1) return 1;
  let logChoose = 0;
  for (let i = 1; i <= c; i++) logChoose += Math.log(n - c + i) - Math.log(i);
  // Terms rise to the mode and fall after it: stop once they are e^-40 below the largest.
  let max = Number.NEGATIVE_INFINITY;
  let scaled = 0;
  let log = logChoose + c * Math.log(p) + (n - c) * Math.log1p(-p);
  for (let k = c; k <= n && (k <= n * p || log > max - 40); k++) {
    if (log > max) {
      scaled = scaled * Math.exp(max - log) + 1;
      max = log;
    } else scaled += Math.exp(log - max);
    log += Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p));
  }
  return Math.min(1, Math.exp(max) * scaled);
}

/** The probability that a period of `n` requests, each slow with probability `p`, breaches. */
export function breachProbability(rule: BreachRule, n: number, p: number): number {
  const c = rule(n);
  return c === Number.POSITIVE_INFINITY ? 0 : binomialTail(n, p, c);
}

/**
 * Expected OK → ALARM transitions per evaluation of an M-of-N alarm whose periods breach independently with
 * probability q: the newest N periods hold M breaching ones and the N before them (one period earlier) did not.
 */
export function alarmEntriesPerEvaluation(q: number, m: number, n: number): number {
  let total = 0;
  for (let pattern = 0; pattern < 2 ** (n + 1); pattern++) {
    const bits = Array.from({ length: n + 1 }, (_, i) => (pattern >> i) & 1);
    const count = (from: number) => bits.slice(from, from + n).reduce((a, b) => a + b, 0);
    if (count(1) >= m && count(0) < m) total += bits.reduce((product, bit) => product * (bit ? q : 1 - q), 1);
  }
  return total;
}

/** Expected evaluations in ALARM of an N-of-N alarm: each invokes a step policy (a task with a 60-s cooldown). */
export function allBreachingPerEvaluation(q: number, n: number): number {
  return q ** n;
}

/**
 * Periods from a regression's start until an M-of-N alarm fires, when each new period breaches with probability q and
 * the periods before it did not: the median and the 99th percentile (undefined when beyond `limit` periods).
 */
export function periodsToFire(
  q: number,
  m: number,
  n: number,
  limit = 1_000_000,
): { median?: number; p99?: number } {
  const mask = 2 ** n - 1;
  let states = new Map<number, number>([[0, 1]]);
  let fired = 0;
  let median: number | undefined;
  for (let period = 1; period <= limit; period++) {
    const next = new Map<number, number>();
    for (const [state, probability] of states)
      for (const bit of [0, 1]) {
        const p = probability * (bit ? q : 1 - q);
        if (p === 0) continue;
        const shifted = ((state << 1) | bit) & mask;
        let count = 0;
        for (let i = 0; i < n; i++) count += (shifted >> i) & 1;
        if (count >= m) fired += p;
        else next.set(shifted, (next.get(shifted) ?? 0) + p);
      }
    if (median === undefined && fired >= 0.5) median = period;
    if (fired >= 0.99) return { median, p99: period };
    states = next;
  }
  return { median };
}
