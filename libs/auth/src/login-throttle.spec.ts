import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  let now = 0;
  const clock = () => now;
  const limits = { accountMax: 3, addressMax: 5, windowMs: 60000, lockoutMs: 10000 };
  beforeEach(() => (now = 1_000_000));

  it('locks an account after its limit of failures, whatever the password, for the lockout', () => {
    const t = new LoginThrottle(limits, clock);
    for (let i = 0; i < 3; i++) expect(t.begin('a@x.io', `10.0.0.${i}`)).toBeUndefined();
    now += 1000;
    expect(t.begin('a@x.io', '10.0.0.9')).toEqual({ scope: 'account', retryAfterMs: 9000 });
    now += 8999;
    expect(t.begin('a@x.io', '10.0.0.9')).toMatchObject({ scope: 'account', retryAfterMs: 1 });
    now += 1;
    expect(t.begin('a@x.io', '10.0.0.9')).toBeUndefined();
    // Other accounts were never affected.
    expect(t.begin('b@x.io', '10.0.0.9')).toBeUndefined();
  });

  it('locks an address that fails across many accounts', () => {
    const t = new LoginThrottle(limits, clock);
    for (let i = 0; i < 5; i++) expect(t.begin(`u${i}@x.io`, '10.1.1.1')).toBeUndefined();
    expect(t.begin('new@x.io', '10.1.1.1')).toMatchObject({ scope: 'address' });
    expect(t.begin('new@x.io', '10.1.1.2')).toBeUndefined();
  });

  it('counts attempts when they start, so a parallel burst cannot pass the limit', () => {
    const t = new LoginThrottle(limits, clock);
    const started = Array.from({ length: 10 }, () => t.begin('a@x.io', '10.0.0.1'));
    expect(started.filter((r) => r === undefined)).toHaveLength(3);
  });

  it('clears the account on success and forgets failures after the window', () => {
    const t = new LoginThrottle(limits, clock);
    t.begin('a@x.io', '10.0.0.1');
    t.begin('a@x.io', '10.0.0.1');
    t.begin('a@x.io', '10.0.0.1'); // the third attempt (limit) succeeds
    t.succeeded('a@x.io', '10.0.0.1');
    expect(t.begin('a@x.io', '10.0.0.1')).toBeUndefined();
    expect(t.begin('a@x.io', '10.0.0.1')).toBeUndefined();
    now += 60000; // window over: the two failures are forgotten
    for (let i = 0; i < 3; i++) expect(t.begin('a@x.io', '10.0.0.2')).toBeUndefined();
    expect(t.begin('a@x.io', '10.0.0.2')).toMatchObject({ scope: 'account' });
  });

  it('does not count an attempt the database could not judge', () => {
    const t = new LoginThrottle(limits, clock);
    for (let i = 0; i < 10; i++) {
      expect(t.begin('a@x.io', '10.0.0.1')).toBeUndefined();
      t.abandoned('a@x.io', '10.0.0.1');
    }
  });

  it('keeps its memory bounded under a spray of e-mails', () => {
    const t = new LoginThrottle(limits, clock, 100);
    for (let i = 0; i < 1000; i++) t.begin(`u${i}@x.io`, `10.0.${i >> 8}.${i & 255}`);
    // The oldest were dropped to make room; the newest are still counted.
    for (let i = 0; i < 2; i++) t.begin('u999@x.io', '10.9.9.9');
    expect(t.begin('u999@x.io', '10.9.9.9')).toMatchObject({ scope: 'account' });
  });
});
