import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@fstore/rest-api';
import { AuditService } from '../audit/audit.service';
import { ApiKeysService, Principal } from '../auth/api-keys.service';
import { CredentialsRefused } from '../errors/domain-errors';
import { ConsoleUsersService } from './console-users.service';
import type { SessionCredential } from './session';
import type { SignInCredential } from './sign-in-rules';

/** Who a console sign-in's credential is, and what its session's cookie names. */
export interface SignedIn {
  principal: Principal;
  credential: SessionCredential;
}

/**
 * A console sign-in's credential checked: an API key against the keys table, an e-mail and
 * password through the feature server's login (ConsoleUsersService). 401 naming the field for a
 * wrong one; a user's right password with no console role is refused 403 and audited (who tried
 * is known then; wrong passwords are the login's warnings, not audit entries).
 */
@Injectable()
export class SignInService {
  constructor(
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
    @Inject(ConsoleUsersService) private readonly users: ConsoleUsersService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  async check(given: SignInCredential, address: string): Promise<SignedIn> {
    if (given.kind === 'api_key') {
      const principal = await this.keys.authenticate(given.apiKey);
      if (!principal?.keyId) {
        throw CredentialsRefused('api_key', 'unknown, revoked or expired API key');
      }
      return { principal, credential: { kind: 'api_key', keyId: principal.keyId } };
    }
    const email = given.email.toLowerCase();
    try {
      const principal = await this.users.signIn(email, given.password, address);
      return { principal, credential: { kind: 'user', email } };
    } catch (e) {
      if (e instanceof DomainError && e.status === 403) {
        await this.audit.record({
          actor: `user:${email}`,
          action: 'console.sign_in',
          target: 'console',
          outcome: 'refused 403',
          detail: { signed_in_with: given.kind, error_code: e.code, error_message: e.message },
        });
      }
      throw e;
    }
  }
}
