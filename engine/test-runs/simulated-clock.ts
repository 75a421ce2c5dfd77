interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

/**
 * The simulated clock of a test run: work scheduled at instants, taken earliest first
 * (ties in the order scheduled). Nothing waits in real time: taking the next entry is the
 * clock jumping to its instant.
 *
 * @example
 * const agenda = new Agenda<string>(start);
 * agenda.schedule(addDuration(start, 'P1D'), 'wake');
 * agenda.next(); // { at: start + 1 day, item: 'wake' }; agenda.now is that instant now
 */
export class Agenda<T> {
  #entries: Entry<T>[] = [];
  #seq = 0;
  #now: number;

  constructor(start: Date) {
    this.#now = start.getTime();
  }

  /** The instant the clock shows: that of the entry taken last. */
  get now(): Date {
    return new Date(this.#now);
  }

  /** Moves the clock on within the entry being worked (a retry's backoff). */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** Schedules work at an instant; an instant already past runs at the current one. */
  schedule(at: Date, item: T): void {
    this.#entries.push({ at: Math.max(at.getTime(), this.#now), seq: this.#seq++, item });
  }

  next(): { at: Date; item: T } | undefined {
    let best = -1;
    this.#entries.forEach((e, i) => {
      const b = this.#entries[best];
      if (!b || e.at < b.at || (e.at === b.at && e.seq < b.seq)) best = i;
    });
    const [entry] = best < 0 ? [] : this.#entries.splice(best, 1);
    if (!entry) return undefined;
    this.#now = entry.at;
    return { at: new Date(entry.at), item: entry.item };
  }

  /** Drops everything still scheduled: the run ended. */
  clear(): void {
    this.#entries = [];
  }
}
