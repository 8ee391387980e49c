import { STATUS_CLASSES, type StatusClass } from "../../contract/metrics";
import { MAX_VALUES_PER_DOCUMENT } from "./emf-documents";

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

/** The position of each status class in a key's series array. */
const CLASS_INDEX = Object.fromEntries(STATUS_CLASSES.map((name, index) => [name, index])) as Record<
  StatusClass,
  number
>;

/**
 * Keeps latency values per Path, Method and StatusClass in memory and hands a key's values over as one
 * batch when it holds {@link MAX_VALUES_PER_DOCUMENT} values, when a value arrives in another wall-clock
 * minute than the batch's first one (CloudWatch files a document under its timestamp's minute), and on
 * {@link flush}.
 *
 * Recording is two map lookups with the strings the router and the HTTP parser already hold (no key is
 * built per request), an array index and a push.
 */
export class Aggregator {
  private readonly series = new Map<string, Map<string, (Series | undefined)[]>>();
  private pendingValues = 0;

  constructor(private readonly emit: (batch: SeriesBatch) => void) {}

  /** Values recorded and not yet handed over. */
  get pending(): number {
    return this.pendingValues;
  }

  /** Records one sample (whole microseconds); `epochMs` is its wall-clock time. */
  record(path: string, method: string, statusClass: StatusClass, micros: number, epochMs: number): void {
    let byMethod = this.series.get(path);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.series.set(path, byMethod);
    }
    let byClass = byMethod.get(method);
    if (byClass === undefined) {
      byClass = new Array<Series | undefined>(STATUS_CLASSES.length).fill(undefined);
      byMethod.set(method, byClass);
    }
    const index = CLASS_INDEX[statusClass];
    const minute = Math.floor(epochMs / MINUTE_MS);
    let series = byClass[index];
    if (series === undefined) {
      series = { path, method, statusClass, values: [], firstMs: epochMs, minute };
      byClass[index] = series;
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
    for (const [path, byMethod] of this.series) {
      for (const [method, byClass] of byMethod) {
        let kept = 0;
        for (let i = 0; i < byClass.length; i++) {
          const series = byClass[i];
          if (series === undefined) continue;
          if (series.values.length > 0) {
            this.handOver(series);
            kept++;
          } else byClass[i] = undefined;
        }
        if (kept === 0) byMethod.delete(method);
      }
      if (byMethod.size === 0) this.series.delete(path);
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
