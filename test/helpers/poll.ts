/*
 * The one polling helper of the test kit: every test that waits for something to happen elsewhere
 * (a consumer, a reconnection, a timer) asks through these two, bounded in time and in count.
 */

export interface PollOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Between checks; default 20 ms. */
  intervalMs?: number;
}

/** Polls `check` until it returns true or the deadline passes; answers the last result (for `expect(...).toBe(true)`). */
export async function waitFor(check: () => Promise<boolean> | boolean, { timeoutMs = 10_000, intervalMs = 20 }: PollOptions = {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  // Bounded in count too, should a check return at once with a clock that does not move.
  for (let i = 0; i < 1_000_000; i++) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}

/** Like {@link waitFor}, but throws past the deadline, naming what was awaited. */
export async function until(check: () => Promise<boolean> | boolean, what: string, options: PollOptions = {}): Promise<void> {
  if (!(await waitFor(check, options))) throw new Error(`not within ${options.timeoutMs ?? 10_000} ms: ${what}`);
}
