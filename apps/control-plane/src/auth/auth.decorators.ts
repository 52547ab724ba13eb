import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiKeyRole } from '@fstore/control-store';
import { Principal } from './api-keys.service';

export const PUBLIC_KEY = 'fstore:public';
export const ROLES_KEY = 'fstore:roles';

/** No credentials needed (health, metrics). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** The least role allowed (admin > operator > viewer); the default is `viewer`. */
export const Roles = (...roles: ApiKeyRole[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().principal,
);
