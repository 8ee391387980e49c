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
  minute: number;
}

const MINUTE_MS = 60_000;

/**
 * Keeps latency values per Path, Method and StatusClass in memory and hands a key's values over as one
 * batch when it holds {@link MAX_VALUES_PER_DOCUMENT} values, when a value arrives in another wall-clock
 * minute than the batch's first one (CloudWatch files a document under its timestamp's minute), and on
 * {@link flush}.
 *
 * Recording is a {@link RouteKeyMap} lookup and an array push.
 */
export class Aggregator {
  private readonly series = new RouteKeyMap<Series>();
  private pendingValues = 0;

  constructor(private readonly emit: (batch: SeriesBatch) => void) {}

  /** Values recorded and not yet handed over. */
  get pending(): number {
    return this.pendingValues;
  }

  /** Records one sample (whole microseconds); `epochMs` is its wall-clock time. */
  record(path: string, method: string, statusClass: StatusClass, micros: number, epochMs: number): void {
    const minute = Math.floor(epochMs / MINUTE_MS);
    let series = this.series.get(path, method, statusClass);
    if (series === undefined) {
      series = { path, method, statusClass, values: [], firstMs: epochMs, minute };
      this.series.set(path, method, statusClass, series);
    } else if (series.values.length > 0 && series.minute !== minute) {
      this.handOver(series);
    }
    if (series.values.length === 0) {
      series.firstMs = epochMs;
      series.minute = minute;
    }
    series.values.push(micros);
    this.pendingValues++;
    if (series.values.length >= MAX_VALUES_PER_DOCUMENT) this.handOver(series);
  }

  /** Hands over every non-empty key and forgets keys that stayed empty since the last flush. */
  flush(): void {
    this.series.sweep((series) => {
      if (series.values.length === 0) return false;
      this.handOver(series);
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
