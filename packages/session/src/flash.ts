/**
 * Flash values: set on one request, readable from the next, removed by the
 * read. What the store holds is kept apart from what this request set, so
 * a value is never visible on the request that set it, and a read removes
 * only what it read (Remix 3's semantics: no "read deletes, remember to
 * commit" race between concurrent requests).
 */
export class FlashState {
  readonly #incoming: Readonly<Record<string, unknown>>;
  readonly #outgoing: Record<string, unknown> = {};
  readonly #read = new Set<string>();
  #dirty = false;

  constructor(stored: Record<string, unknown> | undefined) {
    this.#incoming = stored ?? {};
  }

  set(key: string, value: unknown): void {
    if (value === undefined) throw new TypeError(`flash("${key}", undefined): a flash value must be JSON, not undefined.`);
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      throw new TypeError(`flash("${key}", ...): that key is reserved; pick another name.`);
    }
    this.#outgoing[key] = value;
    this.#dirty = true;
  }

  take(key: string): unknown {
    if (!Object.hasOwn(this.#incoming, key) || this.#read.has(key)) return undefined;
    this.#read.add(key);
    this.#dirty = true;
    return this.#incoming[key];
  }

  /** `true` when something was flashed or read: the session must be written. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** What the store should hold after this request: the unread values, and those set now. */
  next(): Record<string, unknown> | undefined {
    const kept: Record<string, unknown> = {};
    for (const key of Object.keys(this.#incoming)) if (!this.#read.has(key)) kept[key] = this.#incoming[key];
    Object.assign(kept, this.#outgoing);
    return Object.keys(kept).length === 0 ? undefined : kept;
  }
}
