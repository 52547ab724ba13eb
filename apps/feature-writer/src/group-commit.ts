/**
 * Group commit: the items submitted while one call is in flight go together in the next call.
 * Why: the writer is handed up to 16 partitions' batches at once, and each used to make its own
 * Redis write, replicas' WAIT and offset commit; bench:freshness showed the writer stage as most
 * of an event's delay, and its CPU per record at low rates three to five times what it is with a
 * backlog (docs/benchmarks.md). A submission waits for no timer: the first flushes at the end of
 * the current turn of the event loop (so the batches handed over together go together), the
 * rest wait for the call in flight and go in the next one.
 */
export class GroupCommit<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly flush: (items: T[]) => Promise<R>) {}

  /** Resolves with the result of the call that took `item`, or rejects with its error. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      try {
        const result = await this.flush(group.map((g) => g.item));
        for (const g of group) g.resolve(result);
      } catch (e) {
        for (const g of group) g.reject(e);
      }
    }
    this.flushing = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves once nothing is queued or in flight (at once if nothing is). */
  idle(): Promise<void> {
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
