import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Role, TokenClaims } from '@fstore/auth';

export const PUBLIC_KEY = 'fstore:public';
export const ROLES_KEY = 'fstore:roles';

/** No credentials needed (health, login, metrics). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** The roles allowed (admin implies the others); the default is `reader`. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export const Principal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): TokenClaims => ctx.switchToHttp().getRequest().principal,
);
