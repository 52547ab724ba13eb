import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role, roleAllows, SessionCheck, TokenClaims, TokenSigner } from '@fstore/auth';
import { NotAuthenticated, PermissionDenied } from '@fstore/rest-api';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';

/** The role a route needs unless it says otherwise (@Roles). */
export const DEFAULT_ROLES: readonly Role[] = ['reader'];

/** A well-signed, unexpired token whose session was logged out, or whose user was removed. */
export const SessionEnded = () =>
  NotAuthenticated('the session has ended (logged out or user removed)');

/** The claims of an "Authorization: Bearer <access token>" header; NotAuthenticated otherwise. */
export function authenticate(signer: TokenSigner, header: string | undefined): TokenClaims {
  if (!header) throw NotAuthenticated('missing Authorization header');
  const [scheme, token] = header.split(' ');
  if (scheme !== 'Bearer' || !token) throw NotAuthenticated('expected "Bearer <access_token>"');
  try {
    return signer.verify(token, 'access');
  } catch (e) {
    throw NotAuthenticated((e as Error).message);
  }
}

/** Every route needs a valid access token of a live session unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(SessionCheck) private readonly sessions: SessionCheck,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = ctx.switchToHttp().getRequest();
    const claims = authenticate(this.signer, request.headers.authorization);
    if (!(await this.sessions.check(claims.sid))) throw SessionEnded();
    const required = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? DEFAULT_ROLES;
    if (!roleAllows(claims.role, required))
      throw PermissionDenied(claims.role, required.join(' or '));
    request.principal = claims;
    return true;
  }
}
