interface Waiter<Result> {
  from: number;
  count: number;
  resolve: (results: Result[]) => void;
  reject: (error: unknown) => void;
}

interface Batch<Group, Item, Result, Parent> {
  group: Group;
  items: Item[];
  waiters: Waiter<Result>[];
  parent: Parent | undefined;
}

/**
 * Gathers the calls made during one event-loop turn and runs them as one batch per group, each
 * caller getting back the results of its own items, in order. A busy server handles many
 * requests per turn; sending their reads together costs one command per node instead of one
 * each, and per-command overhead (system calls on both ends) is what limits it, not bytes.
 * The wait is at most the rest of the current turn (the batch runs from setImmediate).
 *
 * A call may name a parent (a traced read's span): a batch runs with the first parent given by
 * its calls, so the traced read that shares a batch with untraced ones still sees its command.
 */
export class TurnBatcher<Group, Item, Result, Parent = never> {
  private pending = new Map<string, Batch<Group, Item, Result, Parent>>();
  private scheduled = false;

  /**
   * @param groupKey calls whose groups have the same key share a batch
   * @param run returns one result per item, in the items' order
   */
  constructor(
    private readonly groupKey: (group: Group) => string,
    private readonly run: (
      group: Group,
      items: Item[],
      parent: Parent | undefined,
    ) => Promise<Result[]>,
  ) {}

  add(group: Group, items: readonly Item[], parent?: Parent): Promise<Result[]> {
    return new Promise((resolve, reject) => {
      const key = this.groupKey(group);
      let batch = this.pending.get(key);
      if (!batch) this.pending.set(key, (batch = { group, items: [], waiters: [], parent }));
      else if (batch.parent === undefined) batch.parent = parent;
      batch.waiters.push({ from: batch.items.length, count: items.length, resolve, reject });
      for (const item of items) batch.items.push(item);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const batch of batches.values()) void this.settle(batch);
  }

  private async settle({
    group,
    items,
    waiters,
    parent,
  }: Batch<Group, Item, Result, Parent>): Promise<void> {
    let results: Result[];
    try {
      results = await this.run(group, items, parent);
    } catch (e) {
      for (const w of waiters) w.reject(e);
      return;
    }
    for (const w of waiters) w.resolve(results.slice(w.from, w.from + w.count));
  }
}
