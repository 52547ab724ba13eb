import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('sends what is submitted in one turn together, and what comes during a call in the next', async () => {
    const calls: number[][] = [];
    let release: () => void = () => undefined;
    const group = new GroupCommit<number, string>(async (items) => {
      calls.push(items);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
      return `call ${calls.length}`;
    });
    const first = [group.submit(1), group.submit(2)];
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1, 2]]);
    // In flight: these wait for it, then go together.
    const second = [group.submit(3), group.submit(4), group.submit(5)];
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1, 2]]);
    release();
    expect(await Promise.all(first)).toEqual(['call 1', 'call 1']);
    expect(await Promise.all(second)).toEqual(['call 2', 'call 2', 'call 2']);
    expect(calls).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    // Idle again: the next submission is sent on its own.
    expect(await group.submit(6)).toBe('call 3');
  });

  it('fails every submission of a failed call, and the next call is a new one', async () => {
    let fail = true;
    const group = new GroupCommit<number, number>(async (items) => {
      if (fail) throw new Error('redis down');
      return items.length;
    });
    const results = await Promise.allSettled([group.submit(1), group.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await group.submit(3)).toBe(1);
  });

  it('is idle once nothing is queued or in flight', async () => {
    let release: () => void = () => undefined;
    const group = new GroupCommit<number, void>(() => new Promise<void>((r) => (release = r)));
    await group.idle(); // nothing yet: at once
    const sent = group.submit(1);
    let idle = false;
    const waiting = group.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    release();
    await sent;
    await waiting;
    expect(idle).toBe(true);
  });
});
