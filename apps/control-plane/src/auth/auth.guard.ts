import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { roleAllows } from '@fstore/auth';
import { AUDIT_KEY, auditTarget } from '../audit/audit.interceptor';
import { AuditService } from '../audit/audit.service';
import { NotAuthenticated } from '@fstore/rest-api';
import { CsrfTokenRefused, PermissionDenied } from '../errors/domain-errors';
import { ApiKeyRole } from '@fstore/control-store';
import { ApiKeysService, Principal } from './api-keys.service';
import { ConsoleUsersService } from '../console/console-users.service';
import {
  ConsoleSession,
  ConsoleSessions,
  cookieValue,
  CSRF_HEADER,
  csrfMatches,
  SESSION_COOKIE,
} from '../console/session';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { CONSOLE_SESSIONS } from '../tokens';

/**
 * Every route needs an API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`) or a web
 * console session (its cookie; a request that is not a read also its CSRF token in X-CSRF-Token)
 * unless marked @Public(); its role must allow what the route's @Roles() asks.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(CONSOLE_SESSIONS) private readonly sessions: ConsoleSessions | undefined,
    @Inject(ConsoleUsersService) private readonly users: ConsoleUsersService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = ctx.switchToHttp().getRequest();
    const principal = await this.principalOf(request);
    const required = this.reflector.getAllAndOverride<ApiKeyRole[]>(ROLES_KEY, targets) ?? [
      'viewer',
    ];
    if (!roleAllows(principal.role, required)) {
      const error = PermissionDenied(principal.role, required.join(' or '));
      // A refused admin action is audited like any other (the interceptor never sees it).
      const action = this.reflector.get<string | undefined>(AUDIT_KEY, ctx.getHandler());
      if (action) {
        await this.audit.record({
          actor: principal.actor,
          action,
          target: auditTarget(action, request.params ?? {}, String(request.url)),
          outcome: 'refused 403',
          detail: { error_code: error.code, error_message: error.message },
        });
      }
      throw error;
    }
    request.principal = principal;
    return true;
  }

  private async principalOf(request: {
    method: string;
    headers: Record<string, string | undefined>;
    consoleSession?: ConsoleSession;
  }): Promise<Principal> {
    const { headers } = request;
    const cookie = cookieValue(headers.cookie, SESSION_COOKIE);
    if (!headers['x-api-key'] && !headers.authorization && cookie !== undefined) {
      const session = this.sessions?.verify(cookie);
      if (!session) throw NotAuthenticated('the console session expired or is not valid');
      // SameSite=Strict keeps the cookie off other sites' requests; the token is a second lock.
      const reads = request.method === 'GET' || request.method === 'HEAD';
      if (!reads && !csrfMatches(session, headers[CSRF_HEADER])) {
        throw CsrfTokenRefused(CSRF_HEADER);
      }
      const principal = await this.principalOfSession(session);
      request.consoleSession = session;
      return principal;
    }
    const principal = await this.keys.authenticate(this.keyOf(headers));
    if (!principal) throw NotAuthenticated('unknown or revoked API key');
    return principal;
  }

  /** The key or the user behind a session, as it is now (its role too): else 401. */
  private async principalOfSession(session: ConsoleSession): Promise<Principal> {
    const { credential } = session;
    if (credential.kind === 'api_key') {
      const principal = await this.keys.authenticateById(credential.keyId);
      if (!principal) throw NotAuthenticated('the API key of the session was revoked or expired');
      return principal;
    }
    const principal = await this.users.principalOf(credential.email);
    if (!principal) {
      throw NotAuthenticated(
        'the user of the session was removed or may no longer use the console',
      );
    }
    return principal;
  }

  private keyOf(headers: Record<string, string | undefined>): string {
    const direct = headers['x-api-key'];
    if (direct) return direct;
    const header = headers.authorization;
    if (!header) throw NotAuthenticated('missing API key (Authorization: Bearer <key>)');
    const [scheme, token] = header.split(' ');
    if (scheme !== 'Bearer' || !token) throw NotAuthenticated('expected "Bearer <api key>"');
    return token;
  }
}
