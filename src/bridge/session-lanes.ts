// Per-session FIFO lanes for observed actions: work for one session runs one at a time, in arrival order;
// sessions run independently. One cap bounds the tasks held (running or waiting) across all lanes.

/** A unit of work; its rejection is reported to `onError` and the lane moves on. */
export type LaneTask = () => Promise<void> | void;

/** What `push` did with a task. */
export type LanePush = 'queued' | 'dropped';

/** Per-session FIFO queues with a global cap on the tasks held (running + waiting). */
export class SessionLanes {
  readonly #lanes = new Map<string, LaneTask[]>();
  readonly #cap: number;
  readonly #onError: (err: unknown) => void;
  #held = 0;

  constructor(cap: number, onError: (err: unknown) => void = () => {}) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError('cap must be a positive integer');
    this.#cap = cap;
    this.#onError = onError;
  }

  /** Tasks held (running or waiting) across all lanes. */
  get held(): number {
    return this.#held;
  }

  /** Sessions with work running or waiting. */
  get active(): number {
    return this.#lanes.size;
  }

  /**
   * Appends `task` to the lane of `session`; `dropped` when the global cap of held tasks is reached.
   * @example lanes.push('agent:main:main', async () => decide(action)) // 'queued'
   */
  push(session: string, task: LaneTask): LanePush {
    if (this.#held >= this.#cap) return 'dropped';
    this.#held++;
    const lane = this.#lanes.get(session);
    if (lane) lane.push(task);
    else {
      this.#lanes.set(session, []);
      void this.#run(session, task);
    }
    return 'queued';
  }

  /** Forgets waiting tasks (running ones finish). */
  clear(): void {
    for (const lane of this.#lanes.values()) {
      this.#held -= lane.length;
      lane.length = 0;
    }
  }

  async #run(session: string, first: LaneTask): Promise<void> {
    let task: LaneTask | undefined = first;
    while (task) {
      try {
        await task();
      } catch (err) {
        this.#onError(err);
      }
      this.#held--;
      task = this.#lanes.get(session)?.shift();
    }
    this.#lanes.delete(session);
  }
}
