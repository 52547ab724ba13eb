import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, catchError, from, mergeMap, throwError } from 'rxjs';
import { Principal } from '../auth/api-keys.service';
import { toControlError } from '../errors/domain-errors';
import { AuditService } from './audit.service';

export const AUDIT_KEY = 'fstore:audit';

/** The same target names the services use: deployment:<id>, run:<id>, job:<name>. */
export function auditTarget(action: string, params: Record<string, string>, url: string): string {
  if (params.id) return `${action.split('.')[0]}:${params.id}`;
  if (params.name) return `job:${params.name}`;
  return url;
}

/** Marks an admin action: the request is audited whether it is accepted or refused. */
export const Audited = (action: string) => SetMetadata(AUDIT_KEY, action);

/**
 * Records refused admin actions (400, 403 after authentication, 404, 409…). Accepted actions are
 * recorded by the services, in the same transaction as what they change.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const action = this.reflector.get<string | undefined>(AUDIT_KEY, ctx.getHandler());
    if (!action) return next.handle();
    const request = ctx.switchToHttp().getRequest();
    const principal: Principal | undefined = request.principal;
    return next.handle().pipe(
      catchError((e: unknown) => {
        const error = toControlError(e);
        const target = auditTarget(action, request.params ?? {}, String(request.url));
        return from(
          this.audit.record({
            actor: principal?.actor ?? 'anonymous',
            action,
            target,
            outcome: `refused ${error.status}`,
            detail: { error_code: error.code, error_message: error.message },
          }),
        ).pipe(
          catchError(() => throwError(() => e)),
          mergeMap(() => throwError(() => e)),
        );
      }),
    );
  }
}
