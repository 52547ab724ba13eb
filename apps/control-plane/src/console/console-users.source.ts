import { Logger } from '@nestjs/common';
import { LoginThrottle, loginLimits, PasswordLogin, UsersRepository } from '@fstore/auth';
import { FstoreConfig, postgresLogin } from '@fstore/config';
import { createPool } from '@fstore/postgres';
import type { ConsoleUsersSource } from './console-users.service';

/**
 * The users table for the console's e-mail sign-in: libs/auth's UsersRepository on a small pool
 * of its own, logged in as the control plane's runtime role (SELECT on auth_users, nothing else
 * of the users tables: grantsToServiceRoles) with the default search_path, where `auth_users`
 * lives (public), not the control plane's schema. Connected on first use; the throttle is the
 * feature server's (FSTORE_AUTH_LOGIN_*), counted in this process.
 */
export function consoleUsersSource(config: FstoreConfig): ConsoleUsersSource {
  const logger = new Logger('console-sign-in');
  const pool = createPool({ ...postgresLogin(config, 'control'), max: 2 }, 'users pool', (m) =>
    logger.warn(m),
  );
  const users = new UsersRepository(pool);
  // The limits only: the feature server's token secret, beside them, stays out.
  const limits = loginLimits({
    loginMaxFailures: config.auth.loginMaxFailures,
    loginIpMaxFailures: config.auth.loginIpMaxFailures,
    loginWindowSeconds: config.auth.loginWindowSeconds,
    loginLockoutSeconds: config.auth.loginLockoutSeconds,
  });
  const login = new PasswordLogin(users, new LoginThrottle(limits), (w) => logger.warn(w));
  return { login, find: (email) => users.find(email), close: () => pool.end() };
}
