/**
 * A request parked inside its handler, its session loaded, until the test
 * lets it finish: how races are made certain instead of likely.
 */
export class Gate {
  #release!: () => void;
  #entered!: () => void;
  readonly released = new Promise<void>((resolve) => (this.#release = resolve));
  readonly entered = new Promise<void>((resolve) => (this.#entered = resolve));

  /** Called by the handler: marks it as inside, and waits for release(). */
  enter(): Promise<void> {
    this.#entered();
    return this.released;
  }

  release(): void {
    this.#release();
  }
}
