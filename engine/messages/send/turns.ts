/** One item's place in a `Turns` line: wait for it, then give it up. */
export interface Turn {
  wait(): Promise<void>;
  /** Gives up the turn; again does nothing. */
  release(): void;
}

/**
 * Turns taken in the items' order: turn `i` comes once every turn before it is given up. A
 * batch's messages under a send rate take their places this way, so that they go out in the
 * order they were queued (sending.md) rather than in the order their concurrent sends reached
 * the rate's lock.
 *
 * @example
 * const turns = new Turns(items.length);
 * await turns.of(i).wait(); // … reserve the place …
 * turns.of(i).release();
 */
export class Turns {
  readonly #release: Array<() => void> = [];
  /** `#ready[i]`: every turn before `i` is given up. */
  readonly #ready: Promise<void>[] = [];

  constructor(count: number) {
    let before: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      this.#ready.push(before);
      const given = new Promise<void>((resolve) => this.#release.push(resolve));
      before = before.then(() => given);
    }
  }

  of(i: number): Turn {
    return {
      wait: () => this.#ready[i] ?? Promise.resolve(),
      release: () => this.#release[i]?.(),
    };
  }
}
