import { SessionCheck } from './session-check';

describe('SessionCheck', () => {
  let now = 0;
  const clock = () => now;

  it('answers from memory within the ttl and asks again after it', async () => {
    let active = true;
    const lookup = jest.fn(async () => active);
    const check = new SessionCheck(lookup, 5000, 100, clock);
    expect(check.cached('s')).toBeUndefined();
    expect(await check.check('s')).toBe(true);
    active = false; // the user was removed elsewhere
    now += 4999;
    expect(check.cached('s')).toBe(true);
    now += 1;
    expect(check.cached('s')).toBeUndefined();
    expect(await check.check('s')).toBe(false);
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('looks a session up once for many concurrent requests', async () => {
    const lookup = jest.fn(async () => true);
    const check = new SessionCheck(lookup, 5000, 100, clock);
    expect(await Promise.all([check.check('s'), check.check('s'), check.check('s')])).toEqual([
      true,
      true,
      true,
    ]);
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('keeps a known-active session while the database does not answer, not an unknown one', async () => {
    let fail = false;
    const check = new SessionCheck(
      async () => {
        if (fail) throw new Error('down');
        return true;
      },
      1000,
      100,
      clock,
    );
    await check.check('known');
    fail = true;
    now += 2000;
    expect(await check.check('known')).toBe(true);
    await expect(check.check('never-seen')).rejects.toThrow('down');
  });

  it('remembers what this server did: a logout ends the session at once', async () => {
    const check = new SessionCheck(async () => true, 5000, 100, clock);
    await check.check('s');
    check.remember('s', false);
    expect(check.cached('s')).toBe(false);
  });
});
