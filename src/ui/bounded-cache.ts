/**
 * A memo cache of bounded size, put in place of the caches of Ink's `measure-text` and `wrap-text` by the bundle
 * (scripts/ink-text-caches.mjs). Ink keeps every distinct text it measured or wrapped for the life of the process: in a
 * long chat that is every line ever drawn, streamed states included. Two generations, as quick-lru does it: entries go
 * into the current map; when it is full it becomes the previous one and a fresh map starts, dropping the one before; a
 * hit in the previous map moves the entry back into the current one. At most 2 × `max` entries, the recently used kept,
 * and a hit in the current map costs one lookup, as Ink's own Map did.
 */

/** A Map-like cache that forgets its least recently used entries past `max` (at most 2 × `max` kept). */
export class BoundedCache<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`BoundedCache: max must be a positive integer (${max})`);
  }

  get(key: K): V | undefined {
    const hit = this.current.get(key);
    if (hit !== undefined || this.current.has(key)) return hit;
    if (!this.previous.has(key)) return undefined;
    const old = this.previous.get(key) as V;
    this.previous.delete(key);
    this.store(key, old);
    return old;
  }

  set(key: K, value: V): this {
    this.store(key, value);
    return this;
  }

  /** Entries held now (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private store(key: K, value: V): void {
    this.current.set(key, value);
    if (this.current.size < this.max) return;
    this.previous = this.current;
    this.current = new Map();
  }
}
