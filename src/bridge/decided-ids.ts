// A bounded LRU set of approval ids already decided, so a redelivered request is decided only once.

/** Least-recently-used set with a hard capacity; the oldest id is dropped when full. */
export class DecidedIds {
  readonly #ids = new Map<string, true>();
  readonly capacity: number;
  constructor(capacity = 4096) {
    this.capacity = capacity;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** True when `id` was recorded (and marks it recently used). */
  has(id: string): boolean {
    if (!this.#ids.has(id)) return false;
    this.#ids.delete(id);
    this.#ids.set(id, true);
    return true;
  }

  /** Records `id`; evicts the least recently used id when over capacity. */
  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.set(id, true);
    while (this.#ids.size > this.capacity) {
      const oldest = this.#ids.keys().next().value;
      if (oldest === undefined) break;
      this.#ids.delete(oldest);
    }
  }

  /** Number of ids held. */
  get size(): number {
    return this.#ids.size;
  }
}
