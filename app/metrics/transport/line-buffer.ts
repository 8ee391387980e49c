import type { TransportCounters, TransportSettings } from "./transport";

/**
 * Memory a buffered line costs besides its bytes (the entry object and its slot), so that the byte
 * bound also bounds memory when lines are small.
 */
export const ENTRY_OVERHEAD_BYTES = 64;

/** Largest chunk {@link LineBuffer.batch} joins for one write; lines are never split across chunks. */
export const MAX_BATCH_BYTES = 64 * 1024;

/** One buffered document. */
export interface Entry {
  /** The document followed by its newline. */
  readonly data: string;
  /** Its cost in the buffer's accounting: bytes plus {@link ENTRY_OVERHEAD_BYTES}. */
  readonly cost: number;
  readonly samples: number;
}

/**
 * What {@link LineBuffer.push} did: `overflow` is the first `full` since the buffer was last empty (the
 * moment worth a warning).
 */
export type PushResult = "accepted" | "oversized" | "full" | "overflow";

/**
 * The bounded FIFO of documents every transport delivers from, and its counters. Entries leave only from
 * the front: delivered (`take`) or dropped (`drop`); a transport writes from the front and removes entries
 * only once they are delivered, so entries written but unconfirmed stay counted as buffered.
 */
export class LineBuffer {
  private items: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private bufferedSamples = 0;
  private sentCount = 0;
  private sentSamples = 0;
  private droppedCount = 0;
  private droppedSamples = 0;
  private oversizedCount = 0;
  private retriedCount = 0;
  private overflowing = false;

  constructor(
    private readonly limits: Pick<TransportSettings, "bufferSize" | "bufferLines" | "maxDocumentBytes">,
  ) {}

  /** Number of entries, written-but-unconfirmed ones included. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Bytes accounted for. */
  get costBytes(): number {
    return this.bytes;
  }

  /**
   * Appends a document unless it is larger than `maxDocumentBytes` or the buffer is full (counted);
   * `bytes` is its UTF-8 size if the caller knows it (saves scanning it again).
   */
  push(line: string, samples: number, bytes = Buffer.byteLength(line)): PushResult {
    if (bytes > this.limits.maxDocumentBytes) {
      this.oversizedCount++;
      this.countDropped(1, samples);
      return "oversized";
    }
    const cost = bytes + 1 + ENTRY_OVERHEAD_BYTES;
    if (this.bytes + cost > this.limits.bufferSize || this.length >= this.limits.bufferLines) {
      this.countDropped(1, samples);
      if (this.overflowing) return "full";
      this.overflowing = true;
      return "overflow";
    }
    this.items.push({ data: `${line}\n`, cost, samples });
    this.bytes += cost;
    this.bufferedSamples += samples;
    return "accepted";
  }

  /** The entry `index` positions after the oldest one. */
  entry(index: number): Entry {
    return this.items[this.head + index] as Entry;
  }

  /**
   * Joins entries from `from` on into one chunk of at most {@link MAX_BATCH_BYTES} (at least one entry);
   * `cost` is their cost in the buffer's accounting.
   */
  batch(from: number): { chunk: string; count: number; cost: number } {
    let chunk = "";
    let count = 0;
    let cost = 0;
    for (let i = from; i < this.length; i++) {
      const entry = this.entry(i);
      if (count > 0 && cost + entry.cost > MAX_BATCH_BYTES) break;
      chunk += entry.data;
      cost += entry.cost;
      count++;
    }
    return { chunk, count, cost };
  }

  /** Removes the `count` oldest entries as delivered. */
  take(count: number): void {
    for (let i = 0; i < count && this.length > 0; i++) {
      const entry = this.shift();
      this.sentCount++;
      this.sentSamples += entry.samples;
    }
  }

  /** Removes the `count` oldest entries as dropped. */
  drop(count: number): void {
    for (let i = 0; i < count && this.length > 0; i++) {
      const entry = this.shift();
      this.countDropped(1, entry.samples);
    }
  }

  /** Counts a document that never entered the buffer (the transport refused it). */
  refuse(samples: number): void {
    this.countDropped(1, samples);
  }

  /** Counts `count` entries that go back to be written again. */
  countRetried(count: number): void {
    this.retriedCount += count;
  }

  counters(): TransportCounters {
    return {
      sent: this.sentCount,
      buffered: this.length,
      dropped: this.droppedCount,
      oversized: this.oversizedCount,
      retried: this.retriedCount,
      bufferedBytes: this.bytes,
      samples: { sent: this.sentSamples, buffered: this.bufferedSamples, dropped: this.droppedSamples },
    };
  }

  private shift(): Entry {
    const entry = this.items[this.head] as Entry;
    this.head++;
    this.bytes -= entry.cost;
    this.bufferedSamples -= entry.samples;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      // The next time the buffer overflows is a new episode worth a warning.
      this.overflowing = false;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  private countDropped(documents: number, samples: number): void {
    this.droppedCount += documents;
    this.droppedSamples += samples;
  }
}
