import type { StatusClass } from "../../contract/metrics";
import { MAX_VALUES_PER_DOCUMENT } from "./emf-documents";
import { RouteKeyMap } from "./route-key-map";

/** The values of one Path/Method/StatusClass key, handed over when they become a document. */
export interface SeriesBatch {
  readonly path: string;
  readonly method: string;
  readonly statusClass: StatusClass;
  /** Latency samples in whole microseconds. */
  readonly values: number[];
  /** Wall-clock time of the first value, the document's timestamp. */
  readonly firstMs: number;
}

interface Series {
  readonly path: string;
  readonly method: string;
  readonly statusClass: StatusClass;
  values: number[];
  firstMs: number;
  /** The wall-clock window of the batch's first value: `floor(firstMs / windowMs)`. */
  window: number;
}

/** The window of standard-resolution documents: CloudWatch files a document under its timestamp's minute. */
export const MINUTE_MS = 60_000;

/**
 * Keeps latency values per Path, Method and StatusClass in memory and hands a key's values over as one
 * batch when it holds {@link MAX_VALUES_PER_DOCUMENT} values, when a value arrives in another wall-clock
 * window than the batch's first one (CloudWatch files a document under its timestamp's minute, or for a
 * high-resolution metric its second, so a batch must not straddle the periods the alarms read), and on
 * {@link flush}.
 *
 * Recording is a {@link RouteKeyMap} lookup and an array push.
 */
export class Aggregator {
  private readonly series = new RouteKeyMap<Series>();
  private pendingValues = 0;

  /**
   * @param emit - receives each batch
   * @param windowMs - the wall-clock window a batch stays within: a minute, or the high-resolution alarm period
   */
  constructor(
    private readonly emit: (batch: SeriesBatch) => void,
    private readonly windowMs: number = MINUTE_MS,
  ) {}

  /** Values recorded and not yet handed over. */
  get pending(): number {
    return this.pendingValues;
  }

  /** Records one sample (whole microseconds); `epochMs` is its wall-clock time. */
  record(path: string, method: string, statusClass: StatusClass, micros: number, epochMs: number): void {
    const window = Math.floor(epochMs / this.windowMs);
    let series = this.series.get(path, method, statusClass);
    if (series === undefined) {
      series = { path, method, statusClass, values: [], firstMs: epochMs, window };
      this.series.set(path, method, statusClass, series);
    } else if (series.values.length > 0 && series.window !== window) {
      this.handOver(series);
    }
    if (series.values.length === 0) {
      series.firstMs = epochMs;
      series.window = window;
    }
    series.values.push(micros);
    this.pendingValues++;
    if (series.values.length >= MAX_VALUES_PER_DOCUMENT) this.handOver(series);
  }

  /**
   * Hands over every non-empty key and forgets keys that stayed empty since the last flush. Given `epochMs`,
   * hands over only the batches of windows that ended by then: the current window's values wait for it to end,
   * so each key makes one document per window.
   */
  flush(epochMs?: number): void {
    const current = epochMs === undefined ? Number.POSITIVE_INFINITY : Math.floor(epochMs / this.windowMs);
    this.series.sweep((series) => {
      if (series.values.length === 0) return false;
      if (series.window < current) this.handOver(series);
      return true;
    });
  }

  private handOver(series: Series): void {
    const values = series.values;
    series.values = [];
    this.pendingValues -= values.length;
    this.emit({
      path: series.path,
      method: series.method,
      statusClass: series.statusClass,
      values,
      firstMs: series.firstMs,
    });
  }
}
