export interface LoginLimits {
  /** Attempts one account may fail within the window. */
  accountMax: number;
  /** Attempts one client address may fail within the window (any accounts). */
  addressMax: number;
  windowMs: number;
  /** How long a key that reached its limit is refused, whatever the password. */
  lockoutMs: number;
}

interface Entry {
  count: number;
  windowEnd: number;
  lockedUntil?: number;
}

/** Counts attempts per key (an account, an address) in a window that starts at the first. */
class AttemptCounter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly lockoutMs: number,
    private readonly maxEntries: number,
  ) {}

  /** Milliseconds until `key` may try again; 0 if it may now. */
  waitMs(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (e.lockedUntil !== undefined) {
      if (now < e.lockedUntil) return e.lockedUntil - now;
      this.entries.delete(key);
    } else if (now >= e.windowEnd) {
      this.entries.delete(key);
    }
    return 0;
  }

  add(key: string, now: number): void {
    let e = this.entries.get(key);
    if (!e) {
      this.makeRoom(now);
      e = { count: 0, windowEnd: now + this.windowMs };
      this.entries.set(key, e);
    }
    if (++e.count >= this.max) e.lockedUntil = now + this.lockoutMs;
  }

  /** An attempt counted in advance did not fail after all. */
  undo(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (--e.count <= 0) this.entries.delete(key);
    else if (e.count < this.max) e.lockedUntil = undefined;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Bounded memory under a spray of addresses or e-mails: expired first, then the oldest. */
  private makeRoom(now: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [key, e] of this.entries) {
      if ((e.lockedUntil ?? e.windowEnd) <= now) this.entries.delete(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

export type Throttled = { scope: 'account' | 'address'; retryAfterMs: number };

/**
 * Failed-login limits per account and per client address, in this process. An attempt is
 * counted when it starts (so a burst of parallel guesses cannot all slip in before the first
 * failure is recorded) and taken back when it succeeds; a success also clears the account's
 * count. A key that reaches its limit is refused for the lockout, even with the right password:
 * otherwise the 429 would only slow guessing, not stop it. Locked keys cost no scrypt run.
 * Per instance: N instances allow up to N times the limit, which the load balancer's own
 * per-address rate limit (nginx limit_req, the Ingress's limit-rps) bounds in front.
 */
export class LoginThrottle {
  private readonly accounts: AttemptCounter;
  private readonly addresses: AttemptCounter;

  constructor(
    limits: LoginLimits,
    private readonly now: () => number = Date.now,
    maxEntries = 100000,
  ) {
    const { windowMs, lockoutMs } = limits;
    this.accounts = new AttemptCounter(limits.accountMax, windowMs, lockoutMs, maxEntries);
    this.addresses = new AttemptCounter(limits.addressMax, windowMs, lockoutMs, maxEntries);
  }

  /** Refuses (returns why and for how long) or counts the attempt that is about to be made. */
  begin(email: string, address: string): Throttled | undefined {
    const now = this.now();
    const account = this.accounts.waitMs(email, now);
    if (account > 0) return { scope: 'account', retryAfterMs: account };
    const fromAddress = this.addresses.waitMs(address, now);
    if (fromAddress > 0) return { scope: 'address', retryAfterMs: fromAddress };
    this.accounts.add(email, now);
    this.addresses.add(address, now);
    return undefined;
  }

  succeeded(email: string, address: string): void {
    this.accounts.reset(email);
    this.addresses.undo(address);
  }

  /** The attempt could not be judged (the user database did not answer): not a failure. */
  abandoned(email: string, address: string): void {
    this.accounts.undo(email);
    this.addresses.undo(address);
  }
}

/** The limits of the FSTORE_AUTH_LOGIN_* settings (FstoreConfig's `auth`), the same in both servers. */
export function loginLimits(auth: {
  loginMaxFailures: number;
  loginIpMaxFailures: number;
  loginWindowSeconds: number;
  loginLockoutSeconds: number;
}): LoginLimits {
  return {
    accountMax: auth.loginMaxFailures,
    addressMax: auth.loginIpMaxFailures,
    windowMs: auth.loginWindowSeconds * 1000,
    lockoutMs: auth.loginLockoutSeconds * 1000,
  };
}
