import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { InvalidField } from '@fstore/rest-api';

/** The request's idempotency key: the Idempotency-Key header, or the body's idempotency_key. */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => {
    const request = ctx.switchToHttp().getRequest();
    const header = request.headers['idempotency-key'] as string | undefined;
    const body = (request.body as { idempotency_key?: unknown } | undefined)?.idempotency_key;
    const key = header ?? (typeof body === 'string' ? body : undefined);
    if (key !== undefined && (key.length === 0 || key.length > 200)) {
      throw InvalidField(['header', 'Idempotency-Key'], 'must be 1-200 characters');
    }
    return key;
  },
);
