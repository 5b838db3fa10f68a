// Keeping the previous value when a new one is equal, so that what depends on it (a derived
// value, a canvas redraw) does not run again for every event that repeats the same numbers.

/** Same length and the same items by Object.is (so NaN equals NaN). */
export function sameItems<T>(
  a: readonly T[] | null | undefined,
  b: readonly T[] | null | undefined,
): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) return false;
  }
  return true;
}

/** `next`, or `previous` itself when the two are `same`. */
export function keepIfSame<T>(previous: T | undefined, next: T, same: (a: T, b: T) => boolean): T {
  return previous !== undefined && same(previous, next) ? previous : next;
}
