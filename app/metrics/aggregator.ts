import type { StatusClass } from "../../contract/metrics";
import { MAX_VALUES_PER_DOCUMENT } from "./emf-documents";

/** The values of one Path/Method/StatusClass key, handed over when they become a document. */
export interface SeriesBatch {
  readonly path: string;
  readonly method: string;
  readonly statusClass: StatusClass;
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
 * batch when it holds {@link MAX_VALUES_PER_DOCUMENT} values, when a value arrives in a later
 * wall-clock minute than the batch's first one (CloudWatch files a document under its timestamp's
 * minute), and on {@link flush}. Recording is a map lookup and an array push.
 */
export class Aggregator {
  private readonly series = new Map<string, Series>();
  private pendingValues = 0;

  constructor(private readonly emit: (batch: SeriesBatch) => void) {}

  /** Values recorded and not yet handed over. */
  get pending(): number {
    return this.pendingValues;
  }

  record(path: string, method: string, statusClass: StatusClass, valueMs: number, nowMs: number): void {
    const key = `${method} ${statusClass} ${path}`;
    const minute = Math.floor(nowMs / MINUTE_MS);
    let series = this.series.get(key);
    if (!series) {
      series = { path, method, statusClass, values: [], firstMs: nowMs, minute };
      this.series.set(key, series);
    } else if (series.values.length > 0 && series.minute !== minute) {
      this.handOver(series);
    }
    if (series.values.length === 0) {
      series.firstMs = nowMs;
      series.minute = minute;
    }
    series.values.push(valueMs);
    this.pendingValues++;
    if (series.values.length >= MAX_VALUES_PER_DOCUMENT) this.handOver(series);
  }

  /** Hands over every non-empty key and forgets keys that stayed empty since the last flush. */
  flush(): void {
    for (const [key, series] of this.series) {
      if (series.values.length > 0) this.handOver(series);
      else this.series.delete(key);
    }
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
