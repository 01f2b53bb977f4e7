/** Something that stops consuming once the handlers it has in hand finish. */
interface Stoppable {
  stop(): Promise<void>;
}

/**
 * How every queue adapter shuts its consumers down: stops them all and waits up to `timeoutMs` for
 * the handlers in hand. Handlers still running after that are abandoned: their acks are dropped,
 * so their messages are redelivered elsewhere, exactly as if this process had crashed. The set is
 * emptied, so nothing is stopped twice.
 */
export async function stopConsumers(consumers: Set<Stoppable>, timeoutMs: number): Promise<void> {
  const stopped = Promise.all([...consumers].map((c) => c.stop()));
  consumers.clear();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([stopped, gaveUp]);
  clearTimeout(timer);
}
