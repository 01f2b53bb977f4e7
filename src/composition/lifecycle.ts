/**
 * The one shutdown order of a process: whatever was opened or started is closed in the reverse
 * order, so that nothing closes before what still uses it (the app before the modules, the
 * modules before their adapters, the near cache before the bus it listens on).
 */
export class Lifecycle {
  readonly #closers: (() => Promise<void> | void)[] = [];
  #closing: Promise<void> | undefined;

  /** Runs `close` at shutdown, before everything registered earlier. */
  onClose(close: () => Promise<void> | void): void {
    if (this.#closing !== undefined) throw new Error('the process is closing');
    this.#closers.push(close);
  }

  /** Closes everything once, in reverse order; every closer runs, the first failure is thrown after. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      let failure: unknown;
      for (const close of this.#closers.splice(0).reverse()) {
        try {
          await close();
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    })();
    return this.#closing;
  }
}
