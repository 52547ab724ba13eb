import { SerialWaits } from './serial-waits';

/** A WAIT stand-in: each send is recorded and answered (or failed) when the test says. */
function sender() {
  const sent: { key: string; answer: (n: number) => void; fail: (e: Error) => void }[] = [];
  const send = (key: string) =>
    new Promise<number>((answer, fail) => sent.push({ key, answer, fail }));
  return { sent, send };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('SerialWaits (one WAIT at a time per master connection)', () => {
  it('sends at once when none is in flight', async () => {
    const { sent, send } = sender();
    const waits = new SerialWaits(send);
    const a = waits.wait('n1');
    expect(sent.map((s) => s.key)).toEqual(['n1']);
    sent[0].answer(1);
    expect(await a).toBe(1);
  });

  it('callers during a WAIT share the next one, sent when it ends', async () => {
    const { sent, send } = sender();
    const waits = new SerialWaits(send);
    const first = waits.wait('n1');
    const second = waits.wait('n1');
    const third = waits.wait('n1');
    await tick();
    expect(sent).toHaveLength(1); // the second and third wait for the first to end
    sent[0].answer(1);
    expect(await first).toBe(1);
    await tick();
    expect(sent).toHaveLength(2); // one WAIT for both, sent after the first ended
    sent[1].answer(0);
    expect([await second, await third]).toEqual([0, 0]);
    // Nothing in flight any more: the next caller sends at once.
    waits.wait('n1');
    expect(sent).toHaveLength(3);
  });

  it('keeps masters apart', () => {
    const { sent, send } = sender();
    const waits = new SerialWaits(send);
    waits.wait('n1');
    waits.wait('n2');
    waits.wait('n1');
    expect(sent.map((s) => s.key)).toEqual(['n1', 'n2']);
  });

  it('a failed WAIT fails its callers only; the next one is still sent', async () => {
    const { sent, send } = sender();
    const waits = new SerialWaits(send);
    const first = waits.wait('n1');
    const second = waits.wait('n1');
    sent[0].fail(new Error('Command timed out'));
    await expect(first).rejects.toThrow('Command timed out');
    await tick();
    sent[1].answer(1);
    expect(await second).toBe(1);
  });
});
