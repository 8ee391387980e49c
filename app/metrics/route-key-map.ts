import { STATUS_CLASSES, type StatusClass } from "../../contract/metrics";

/** The position of each status class in a key's slot array. */
const CLASS_INDEX = Object.fromEntries(STATUS_CLASSES.map((name, index) => [name, index])) as Record<
  StatusClass,
  number
>;

/**
 * A map keyed by Path, Method and StatusClass, for what is looked up once per request. No key string is
 * built per lookup: two map lookups with the strings the router and the HTTP parser already hold (their
 * hashes are cached), then an array index.
 */
export class RouteKeyMap<T> {
  private readonly byPath = new Map<string, Map<string, (T | undefined)[]>>();
  private count = 0;

  /** Number of values held. */
  get size(): number {
    return this.count;
  }

  get(path: string, method: string, statusClass: StatusClass): T | undefined {
    return this.byPath.get(path)?.get(method)?.[CLASS_INDEX[statusClass]];
  }

  set(path: string, method: string, statusClass: StatusClass, value: T): void {
    let byMethod = this.byPath.get(path);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.byPath.set(path, byMethod);
    }
    let slots = byMethod.get(method);
    if (slots === undefined) {
      slots = new Array<T | undefined>(STATUS_CLASSES.length).fill(undefined);
      byMethod.set(method, slots);
    }
    const index = CLASS_INDEX[statusClass];
    if (slots[index] === undefined) this.count++;
    slots[index] = value;
  }

  /** Calls `keep` for every value, in insertion order of paths and methods; removes those it returns false for. */
  sweep(keep: (value: T) => boolean): void {
    for (const [path, byMethod] of this.byPath) {
      for (const [method, slots] of byMethod) {
        let kept = 0;
        for (let i = 0; i < slots.length; i++) {
          const value = slots[i];
          if (value === undefined) continue;
          if (keep(value)) kept++;
          else {
            slots[i] = undefined;
            this.count--;
          }
        }
        if (kept === 0) byMethod.delete(method);
      }
      if (byMethod.size === 0) this.byPath.delete(path);
    }
  }

  clear(): void {
    this.byPath.clear();
    this.count = 0;
  }
}
