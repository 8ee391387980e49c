/**
 * Unknown keys of an options or props object, with the key that was probably meant: the latency middleware
 * refuses unknown options and the constructs refuse unknown props with the same rule, so a typo from JavaScript
 * (`maxTasks` for `maxCapacity`, `namspace` for `namespace`) is an error that names the fix, never a silent default.
 */

/** Edit distance (insertions, deletions, substitutions) of two short strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The known name `key` was probably meant to be: the closest one within two edits, ignoring case (`namspace` for
 * `namespace`, `MaxCapacity` for `maxCapacity`); undefined when none is that close, rather than a guess.
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** The own enumerable keys of `value` that are not in `known`, in the object's order. */
export function unknownKeys(value: object, known: readonly string[]): string[] {
  return Object.keys(value).filter((key) => !known.includes(key));
}
