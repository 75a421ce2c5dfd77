/**
 * Undo and redo over serialised graphs. Snapshots are strings so "did anything change" is a
 * string compare and an undo can never share objects with the canvas it restores.
 */
export class GraphHistory {
  #past = $state<string[]>([]);
  #future = $state<string[]>([]);
  #current: string | null = null;
  readonly limit: number;

  canUndo = $derived(this.#past.length > 0);
  canRedo = $derived(this.#future.length > 0);

  constructor(limit = 100) {
    this.limit = limit;
  }

  /** Starts over from `snapshot` (a journey was loaded). */
  reset(snapshot: string): void {
    this.#past = [];
    this.#future = [];
    this.#current = snapshot;
  }

  /** Records `snapshot` as the new present; a repeat of the present is no step. */
  record(snapshot: string): void {
    if (snapshot === this.#current) return;
    if (this.#current !== null) this.#past = [...this.#past, this.#current].slice(-this.limit);
    this.#future = [];
    this.#current = snapshot;
  }

  undo(): string | null {
    const previous = this.#past.at(-1);
    if (previous === undefined || this.#current === null) return null;
    this.#past = this.#past.slice(0, -1);
    this.#future = [this.#current, ...this.#future];
    this.#current = previous;
    return previous;
  }

  redo(): string | null {
    const next = this.#future[0];
    if (next === undefined || this.#current === null) return null;
    this.#future = this.#future.slice(1);
    this.#past = [...this.#past, this.#current];
    this.#current = next;
    return next;
  }
}
