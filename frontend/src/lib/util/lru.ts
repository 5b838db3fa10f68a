// A small least-recently-used cache: bounded memory for results worth reusing (rendered
// formulas whose TeX repeats from one iteration to the next).

export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value for `key`, made by `make` (and kept) when there is none yet. */
  get(key: K, make: (key: K) => V): V {
    if (this.entries.has(key)) {
      const value = this.entries.get(key) as V;
      // Map keeps insertion order: re-inserting marks the entry as the most recent.
      this.entries.delete(key);
      this.entries.set(key, value);
      return value;
    }
    const value = make(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
    return value;
  }
}
