import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestSpan } from '@fstore/observability';

/**
 * The request's server span when traceFastifyRequests chose to trace it, else undefined: the
 * parent a route passes to its reads, whose Redis spans go under it (the feature server has no
 * OTel context for them to find it in).
 */
export const RequestSpan = createParamDecorator((_data: unknown, ctx: ExecutionContext) =>
  requestSpan(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
