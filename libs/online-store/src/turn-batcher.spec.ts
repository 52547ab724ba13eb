import { TurnBatcher } from './turn-batcher';

/** A batcher whose runs are recorded; each item's result is its text doubled, or a failure. */
function recordingBatcher(failGroup?: string) {
  const runs: { group: string; items: string[] }[] = [];
  const batcher = new TurnBatcher(
    (group: string) => group,
    async (group, items: string[]) => {
      runs.push({ group, items: [...items] });
      if (group === failGroup) throw new Error(`group ${group} failed`);
      return items.map((item) => item + item);
    },
  );
  return { batcher, runs };
}

describe('TurnBatcher', () => {
  it('runs the calls of one turn as one batch per group, each caller getting its own results', async () => {
    const { batcher, runs } = recordingBatcher();
    const [a, b, c, d] = await Promise.all([
      batcher.add('x', ['1', '2']),
      batcher.add('y', ['3']),
      batcher.add('x', ['4']),
      batcher.add('x', []),
    ]);
    expect(a).toEqual(['11', '22']);
    expect(b).toEqual(['33']);
    expect(c).toEqual(['44']);
    expect(d).toEqual([]);
    expect(runs).toEqual([
      { group: 'x', items: ['1', '2', '4'] },
      { group: 'y', items: ['3'] },
    ]);
  });

  it('starts a new batch for calls made after the previous one was sent', async () => {
    const { batcher, runs } = recordingBatcher();
    expect(await batcher.add('x', ['1'])).toEqual(['11']);
    expect(await batcher.add('x', ['2'])).toEqual(['22']);
    expect(runs.map((r) => r.items)).toEqual([['1'], ['2']]);
  });

  it('fails every caller of a failed batch and no other', async () => {
    const { batcher } = recordingBatcher('bad');
    const results = await Promise.allSettled([
      batcher.add('bad', ['1']),
      batcher.add('good', ['2']),
      batcher.add('bad', ['3']),
    ]);
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('group bad failed') },
      { status: 'fulfilled', value: ['22'] },
      { status: 'rejected', reason: new Error('group bad failed') },
    ]);
  });

  it('runs a batch with the first parent one of its calls gave, none without', async () => {
    const parents: (string | undefined)[] = [];
    const batcher = new TurnBatcher(
      (group: string) => group,
      async (_group, items: string[], parent: string | undefined) => {
        parents.push(parent);
        return items;
      },
    );
    await Promise.all([
      batcher.add('x', ['1']),
      batcher.add('x', ['2'], 'span-a'),
      batcher.add('x', ['3'], 'span-b'),
      batcher.add('y', ['4']),
    ]);
    expect(parents).toEqual(['span-a', undefined]);
  });
});
