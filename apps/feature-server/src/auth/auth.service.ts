import { Inject, Injectable, Logger } from '@nestjs/common';
import { FstoreConfig } from '@fstore/config';
import {
  PasswordLogin,
  SessionCheck,
  throttledMessage,
  TokenClaims,
  TokenSigner,
  User,
  UsersRepository,
} from '@fstore/auth';
import { NotAuthenticated, TooManyRequests } from '@fstore/rest-api';
import { TokenPair } from './login.dto';
import { CONFIG } from '../tokens';

@Injectable()
export class AuthService {
  private readonly logger = new Logger('auth');

  constructor(
    @Inject(CONFIG) private readonly config: FstoreConfig,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(UsersRepository) private readonly users: UsersRepository,
    @Inject(SessionCheck) private readonly sessions: SessionCheck,
    @Inject(PasswordLogin) private readonly passwords: PasswordLogin,
  ) {}

  async login(email: string, password: string, address?: string): Promise<TokenPair> {
    const checked = await this.passwords.check(email, password, address);
    if (!checked.ok) {
      if (checked.reason === 'throttled') {
        const { message, retryAfterSeconds } = throttledMessage(checked);
        throw TooManyRequests(message, retryAfterSeconds);
      }
      throw NotAuthenticated('wrong email or password');
    }
    const { user } = checked;
    const sid = await this.users.startSession(user.email, this.config.auth.refreshTtlSeconds);
    this.sessions.remember(sid, true);
    return this.issue(user, sid, 0);
  }

  /** A new token pair for a refresh token, which is spent: the same one again is refused. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    let claims: TokenClaims;
    try {
      claims = this.signer.verify(refreshToken, 'refresh');
    } catch (e) {
      throw NotAuthenticated((e as Error).message);
    }
    const { sid, gen = 0 } = claims;
    const rotated = await this.users.rotateRefresh(sid, gen, this.config.auth.refreshTtlSeconds);
    if (!rotated.ok) {
      this.sessions.remember(sid, false);
      if (rotated.reason === 'reused') {
        this.logger.warn({ msg: 'refresh token reused: session ended', email: claims.sub, sid });
        throw NotAuthenticated('refresh token already used; the session is ended, log in again');
      }
      throw NotAuthenticated('the session has ended (logged out or user removed)');
    }
    // The role may have changed since the refresh token was issued: the user row says.
    return this.issue(rotated.user, sid, rotated.gen);
  }

  /** Ends the session of these claims: its access and refresh tokens stop working. */
  async logout(claims: TokenClaims): Promise<void> {
    await this.users.endSession(claims.sid);
    this.sessions.remember(claims.sid, false);
  }

  private issue(user: User, sid: string, gen: number): TokenPair {
    const { accessTtlSeconds, refreshTtlSeconds } = this.config.auth;
    const { email: sub, role } = user;
    return {
      access_token: this.signer.sign({ sub, role, kind: 'access', sid }, accessTtlSeconds),
      refresh_token: this.signer.sign({ sub, role, kind: 'refresh', sid, gen }, refreshTtlSeconds),
      token_type: 'bearer',
      expires_in: accessTtlSeconds,
    };
  }
}
