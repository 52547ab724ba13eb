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
import { JsonObject } from '@fstore/control-store';
import { AuditService } from './audit.service';

export const AUDIT_KEY = 'fstore:audit';

/** The same target names the services use: deployment:<id>, run:<id>, job:<name>. */
export function auditTarget(action: string, params: Record<string, string>, url: string): string {
  if (params.id) return `${action.split('.')[0]}:${params.id}`;
  if (params.name) return `job:${params.name}`;
  return url;
}

/**
 * What a refused request asked for that the audit keeps: the job parameters and run arguments
 * (bounded: 32 entries of at most 300 characters each).
 */
export function requested(body: unknown): JsonObject {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const clip = (v: unknown) =>
    typeof v === 'string' ? v.slice(0, 300) : (JSON.stringify(v)?.slice(0, 300) ?? null);
  const out: JsonObject = {};
  if (b.parameters && typeof b.parameters === 'object' && !Array.isArray(b.parameters)) {
    out.parameters = Object.fromEntries(
      Object.entries(b.parameters as Record<string, unknown>)
        .slice(0, 32)
        .map(([k, v]) => [k.slice(0, 100), clip(v)]),
    );
  }
  if (Array.isArray(b.args)) out.args = b.args.slice(0, 32).map(clip);
  if (typeof b.as_of === 'string') out.as_of = b.as_of.slice(0, 100);
  if (typeof b.source === 'string') out.source = b.source.slice(0, 300);
  return out;
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
            detail: {
              error_code: error.code,
              error_message: error.message,
              ...(error.detail ? { error_detail: error.detail.slice(0, 10) } : {}),
              ...requested(request.body),
            },
          }),
        ).pipe(
          catchError(() => throwError(() => e)),
          mergeMap(() => throwError(() => e)),
        );
      }),
    );
  }
}
