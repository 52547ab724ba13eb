import { Inject, Injectable } from '@nestjs/common';
import { FstoreConfig } from '@fstore/config';
import { Role, TokenSigner, UsersRepository } from '@fstore/auth';
import { CONFIG } from '../config';
import { NotAuthenticated } from '@fstore/rest-api';
import { TokenPair } from './login.dto';

@Injectable()
export class AuthService {
  constructor(
    @Inject(CONFIG) private readonly config: FstoreConfig,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(UsersRepository) private readonly users: UsersRepository,
  ) {}

  async login(email: string, password: string): Promise<TokenPair> {
    const user = await this.users.authenticate(email, password);
    if (!user) throw NotAuthenticated('wrong email or password');
    return this.issue(user.email, user.role);
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    let claims;
    try {
      claims = this.signer.verify(refreshToken, 'refresh');
    } catch (e) {
      throw NotAuthenticated((e as Error).message);
    }
    // The role may have changed (or the user gone) since the refresh token was issued.
    const user = await this.users.find(claims.sub);
    if (!user) throw NotAuthenticated('unknown user');
    return this.issue(user.email, user.role);
  }

  private issue(sub: string, role: Role): TokenPair {
    const { accessTtlSeconds, refreshTtlSeconds } = this.config.auth;
    return {
      access_token: this.signer.sign({ sub, role, kind: 'access' }, accessTtlSeconds),
      refresh_token: this.signer.sign({ sub, role, kind: 'refresh' }, refreshTtlSeconds),
      token_type: 'bearer',
      expires_in: accessTtlSeconds,
    };
  }
}
