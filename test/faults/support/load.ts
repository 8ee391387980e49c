/**
 * Load on loopback with autocannon, bounded in time and in requests, with every response's latency
 * kept (autocannon's own histogram rounds to whole milliseconds, too coarse for ratios of a few ms).
 * Runs in the load process (`load-child.ts`); tests reach it through `load-generator.ts`.
 */
import autocannon from "autocannon";

/** One request shape of a load. */
export interface LoadRequest {
  readonly method?: "GET" | "POST" | "PUT" | "DELETE";
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Request shapes, cycled per connection. */
  readonly requests: readonly LoadRequest[];
  /** Upper bound of the run, in seconds. */
  readonly durationSeconds: number;
  /** Stop after this many requests (before the duration if reached). @default - duration only */
  readonly amount?: number;
  /** Concurrent connections. @default 16 */
  readonly connections?: number;
  /** Requests in flight per connection. @default 1 */
  readonly pipelining?: number;
  /** Requests per second over all connections. @default - as fast as the server answers */
  readonly overallRate?: number;
  /** Seconds without a response after which a request counts as a timeout (an error). @default 10 */
  readonly timeoutSeconds?: number;
  /** Keep each response's latency. @default true */
  readonly keepLatencies?: boolean;
}

/** The outcome of a load run. */
export interface LoadResult {
  /**
   * Requests that got an outcome: a response, an error or a timeout. (autocannon's own `requests.sent`
   * adds a per-connection allowance at start when a rate is set, so it is not used.)
   */
  readonly requests: number;
  /** Responses with a 2xx status. */
  readonly ok: number;
  /** Responses with any other status. */
  readonly non2xx: number;
  /** Connection errors and timeouts (autocannon counts a timeout as an error too). */
  readonly errors: number;
  /** Timeouts alone. */
  readonly timeouts: number;
  /** Responses per status code. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Latency of every response in ms, in arrival order (empty when not kept). */
  readonly latenciesMs: readonly number[];
  /** Wall time of the run. */
  readonly durationMs: number;
}

/** A load that is running. */
export interface RunningLoad {
  /** Resolves when the duration or amount is reached, or after {@link stop}. */
  readonly done: Promise<LoadResult>;
  /** Ends the load now. */
  stop(): void;
}

/** Starts a load; see {@link LoadOptions}. */
export function startLoad(options: LoadOptions): RunningLoad {
  const latencies: number[] = [];
  const keep = options.keepLatencies ?? true;
  const started = Date.now();
  let instance: autocannon.Instance | undefined;
  const done = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 16,
        pipelining: options.pipelining ?? 1,
        duration: options.durationSeconds,
        ...(options.amount === undefined ? {} : { amount: options.amount }),
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        timeout: options.timeoutSeconds ?? 10,
        requests: options.requests.map((request) => ({
          method: request.method ?? "GET",
          path: request.path,
          ...(request.headers ? { headers: { ...request.headers } } : {}),
          ...(request.body === undefined ? {} : { body: request.body }),
        })),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const statuses: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(
          (result as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {},
        )) {
          statuses[code] = count;
        }
        resolve({
          requests: result["2xx"] + result.non2xx + result.errors,
          ok: result["2xx"],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statuses,
          latenciesMs: latencies,
          durationMs: Date.now() - started,
        });
      },
    );
    if (keep) {
      instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
        latencies.push(responseTimeMs);
      });
    }
  });
  return { done, stop: () => instance?.stop() };
}

/** The `q` quantile (0–1) of `values`, nearest-rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The median of `values`; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
