/**
 * Synthetic request traffic for the CloudWatch alarm model, and how each request becomes samples of the EMF
 * `Latency` metrics the service publishes.
 *
 * Time is a number of seconds from an arbitrary origin (the alarm's creation), never the wall clock. Everything
 * random comes from {@link seededRandom}, so a scenario is the same on every run.
 */
import { DIMENSIONS, LATENCY_DIMENSION_SETS, type StatusClass } from "../../../contract/metrics";

/** One request as the latency middleware records it: one `Latency` sample with its dimension values. */
export interface SyntheticRequest {
  /** When the request completed, in seconds. */
  readonly time: number;
  /** The recorded latency, in milliseconds. */
  readonly latencyMs: number;
  /** The `Path` dimension: the matched route template. */
  readonly path: string;
  /** The `StatusClass` dimension. */
  readonly statusClass: StatusClass;
}

/** The traffic one service published: its namespace and every request. */
export interface PublishedTraffic {
  /** CloudWatch namespace of the service's EMF metrics. */
  readonly namespace: string;
  /** Every request, in any order. */
  readonly requests: readonly SyntheticRequest[];
}

/** Options of {@link traffic}. */
export interface TrafficOptions {
  /** Requests per second; may be below 1 (0.1 = one request every 10 s). */
  readonly ratePerSecond: number;
  /** How long the traffic lasts, in seconds. */
  readonly seconds: number;
  /** When the first request completes, in seconds. @default 0 */
  readonly startSeconds?: number;
  /**
   * Latency of each request in ms: a constant, or a function of the request's index and a seeded random number
   * generator (use {@link seededRandom}'s output, never `Math.random`).
   */
  readonly latencyMs: number | ((index: number, random: () => number) => number);
  /** Route template of every request. @default "/items/:id" */
  readonly path?: string;
  /** Status class of every request. @default "2xx" */
  readonly status?: StatusClass;
  /** Seed of the random number generator handed to `latencyMs`. @default 1 */
  readonly seed?: number;
}

/**
 * Requests at a constant rate: request `i` completes at `startSeconds + i / ratePerSecond`, for every `i` with that
 * time before `startSeconds + seconds`. Deterministic for a given seed.
 */
export function traffic(options: TrafficOptions): SyntheticRequest[] {
  const { ratePerSecond, seconds, startSeconds = 0, path = "/items/:id", status = "2xx", seed = 1 } = options;
  if (!(ratePerSecond > 0) || !(seconds >= 0))
    throw new RangeError(
      `traffic: ratePerSecond ${ratePerSecond} and seconds ${seconds}; allowed: a rate above 0 and seconds of at least 0`,
    );
  const random = seededRandom(seed);
  const latency = options.latencyMs;
  const count = Math.ceil(ratePerSecond * seconds - 1e-9);
  const requests: SyntheticRequest[] = [];
  for (let i = 0; i < count; i++) {
    requests.push({
      time: startSeconds + i / ratePerSecond,
      latencyMs: typeof latency === "number" ? latency : latency(i, random),
      path,
      statusClass: status,
    });
  }
  return requests;
}

/** One phase of {@link phases}: a constant rate (0 for silence) for some minutes. */
export interface TrafficPhase extends Omit<TrafficOptions, "seconds" | "startSeconds" | "ratePerSecond"> {
  readonly minutes: number;
  /** Requests per second; 0 is a silent phase. */
  readonly ratePerSecond: number;
}

/** A phase as a row: `minutes` at `ratePerSecond`, each request taking `latencyMs`. */
export function phase(
  minutes: number,
  ratePerSecond: number,
  latencyMs: TrafficPhase["latencyMs"],
): TrafficPhase {
  return { minutes, ratePerSecond, latencyMs };
}

/** Latency of a healthy service without a tail: 20 to 80 ms, evenly spread. */
export const HEALTHY = (_: number, random: () => number): number => 20 + 60 * random();

/**
 * Latency of a healthy service with a tail, as real ones have (a cold cache, a GC pause, a slow query): each request
 * independently takes `slowMs` with probability `slowShare`, else 20 to 80 ms. With the default 0.5 % at 3 s its p99
 * is under any threshold above 80 ms, and p99.5 is at the threshold's edge: the traffic an alarm on p99 must not fire
 * on, however few the requests.
 */
export function healthyWithTail(slowShare = 0.005, slowMs = 3000): TrafficOptions["latencyMs"] {
  return (_, random) => (random() < slowShare ? slowMs : 20 + 60 * random());
}

/**
 * Consecutive phases from time 0, e.g. a burst then a trickle:
 * `phases(ns, [{ minutes: 3, ratePerSecond: 100, latencyMs: 2000 }, { minutes: 20, ratePerSecond: 1, latencyMs: 50 }])`.
 */
export function phases(namespace: string, list: readonly TrafficPhase[]): PublishedTraffic {
  const requests: SyntheticRequest[] = [];
  let startSeconds = 0;
  for (const phase of list) {
    const seconds = phase.minutes * 60;
    // A loop, not push(...): a spread of 100k+ arguments overflows the stack.
    if (phase.ratePerSecond > 0)
      for (const request of traffic({ ...phase, seconds, startSeconds })) requests.push(request);
    startSeconds += seconds;
  }
  return { namespace, requests };
}

/** A deterministic pseudo-random generator in [0, 1) (mulberry32), for latency jitter in tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The dimension values under which one request is counted, one entry per dimension set of the EMF contract
 * ({@link LATENCY_DIMENSION_SETS}): `{Path: p}`, `{StatusClass: c}` and `{}` (service-wide). CloudWatch treats each
 * distinct combination of dimensions as its own metric, so an alarm only sees the requests of the one combination
 * its `dimensions` name exactly.
 */
export function dimensionValuesOf(request: SyntheticRequest): Record<string, string>[] {
  const values: Record<string, string> = {
    [DIMENSIONS.path]: request.path,
    [DIMENSIONS.statusClass]: request.statusClass,
  };
  return LATENCY_DIMENSION_SETS.map((set) =>
    Object.fromEntries(set.map((name) => [name, values[name] ?? ""])),
  );
}

/** Whether a request is a sample of the metric with exactly these dimensions. */
export function isSampleOf(request: SyntheticRequest, dimensions: Readonly<Record<string, string>>): boolean {
  return sampleMatcher(dimensions)(request);
}

/** {@link isSampleOf} for one metric, prepared once: a dimension set the contract does not publish matches nothing. */
function sampleMatcher(dimensions: Readonly<Record<string, string>>): (request: SyntheticRequest) => boolean {
  const names = Object.keys(dimensions);
  const published = LATENCY_DIMENSION_SETS.some(
    (set) => set.length === names.length && set.every((name) => names.includes(name)),
  );
  if (!published) return () => false;
  const path = dimensions[DIMENSIONS.path];
  const statusClass = dimensions[DIMENSIONS.statusClass];
  return (request) =>
    (path === undefined || request.path === path) &&
    (statusClass === undefined || request.statusClass === statusClass);
}

/**
 * The latency samples of one metric per period: element `k` holds the values of the requests completed in
 * `[k * periodSeconds, (k + 1) * periodSeconds)`, for `periodCount` periods from time 0.
 */
export function samplesPerPeriod(
  requests: readonly SyntheticRequest[],
  dimensions: Readonly<Record<string, string>>,
  periodSeconds: number,
  periodCount: number,
): number[][] {
  const periods: number[][] = Array.from({ length: periodCount }, () => []);
  const matches = sampleMatcher(dimensions);
  for (const request of requests) {
    const index = Math.floor(request.time / periodSeconds);
    if (index < 0 || index >= periodCount || !matches(request)) continue;
    periods[index]?.push(request.latencyMs);
  }
  return periods;
}
