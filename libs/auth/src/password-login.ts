import { LoginThrottle, Throttled } from './login-throttle';
import type { User } from './users.repository';

/** The attempts of a client whose address is not known (a test's inject, a Unix socket). */
export const UNKNOWN_ADDRESS = 'unknown';

/** What a login attempt came to: the user, or why not (the same answer for unknown and wrong). */
export type PasswordLoginResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'wrong' }
  | ({ ok: false; reason: 'throttled' } & Throttled);

/** A structured warning (never the password): for alerting on guessing. */
export type LoginWarning = Record<string, unknown> & { msg: string };

/**
 * An e-mail and password checked against the users table, the one way both servers do it (the
 * feature server's `POST /api/auth/login`, the control plane's console sign-in): the throttle per
 * account and per address first (a locked key costs no scrypt run), then the constant-time check
 * (an unknown e-mail pays the same scrypt run as a wrong password), every refusal logged. A user
 * database that does not answer throws (UsersUnavailableError) and is not counted as a failure.
 */
export class PasswordLogin {
  constructor(
    private readonly users: {
      authenticate(email: string, password: string): Promise<User | undefined>;
    },
    private readonly throttle: LoginThrottle,
    private readonly warn: (warning: LoginWarning) => void,
  ) {}

  async check(
    email: string,
    password: string,
    address = UNKNOWN_ADDRESS,
  ): Promise<PasswordLoginResult> {
    const account = email.toLowerCase();
    const throttled = this.throttle.begin(account, address);
    if (throttled) {
      this.warn({ msg: 'login refused: too many failures', email: account, address, ...throttled });
      return { ok: false, reason: 'throttled', ...throttled };
    }
    let user: User | undefined;
    try {
      user = await this.users.authenticate(account, password);
    } catch (e) {
      this.throttle.abandoned(account, address);
      throw e;
    }
    if (!user) {
      this.warn({ msg: 'login failed', email: account, address });
      return { ok: false, reason: 'wrong' };
    }
    this.throttle.succeeded(account, address);
    return { ok: true, user };
  }
}

/** The words of a throttled login's 429, the same in both servers. */
export function throttledMessage(throttled: Throttled): {
  message: string;
  retryAfterSeconds: number;
} {
  const whose = throttled.scope === 'account' ? 'for this account' : 'from this address';
  const seconds = Math.ceil(throttled.retryAfterMs / 1000);
  return {
    message: `Too many failed logins ${whose}; retry in ${seconds} s`,
    retryAfterSeconds: seconds,
  };
}
