import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PasswordLogin, throttledMessage, type User } from '@fstore/auth';
import { TooManyRequests } from '@fstore/rest-api';
import { Principal } from '../auth/api-keys.service';
import { CredentialsRefused, RoleMayNotSignIn } from '../errors/domain-errors';
import { CONSOLE_USERS } from '../tokens';
import { consoleRoleOf } from './sign-in-rules';

/** The users table as the console reads it (libs/auth's UsersRepository, on its own pool). */
export interface ConsoleUsersSource {
  login: PasswordLogin;
  find(email: string): Promise<User | undefined>;
  close(): Promise<void>;
}

/** A user's principal: `user:<e-mail>`, the console role of its role (sign-in-rules.ts). */
export const userPrincipal = (user: User): Principal | undefined => {
  const role = consoleRoleOf(user.role);
  return role && { actor: `user:${user.email}`, role };
};

/**
 * The serving side's users in the web console: a sign-in with an e-mail and password goes through
 * the feature server's login (PasswordLogin: the throttle, the constant-time check, the warnings),
 * and each request of the session checks the user is still there with a console role.
 */
@Injectable()
export class ConsoleUsersService implements OnApplicationShutdown {
  constructor(@Inject(CONSOLE_USERS) private readonly users: ConsoleUsersSource) {}

  /** The principal of a right e-mail and password; else 401 (naming the password), 429 or 403. */
  async signIn(email: string, password: string, address: string): Promise<Principal> {
    const checked = await this.users.login.check(email, password, address);
    if (!checked.ok) {
      if (checked.reason === 'throttled') {
        const { message, retryAfterSeconds } = throttledMessage(checked);
        throw TooManyRequests(message, retryAfterSeconds);
      }
      // The same words for an unknown e-mail: the answer does not tell whether an account exists.
      throw CredentialsRefused('password', 'wrong e-mail or password');
    }
    const principal = userPrincipal(checked.user);
    if (!principal) throw RoleMayNotSignIn(checked.user.role);
    return principal;
  }

  /** The principal of a console session's user, while it exists with a console role. */
  async principalOf(email: string): Promise<Principal | undefined> {
    const user = await this.users.find(email);
    return user && userPrincipal(user);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.users.close();
  }
}
