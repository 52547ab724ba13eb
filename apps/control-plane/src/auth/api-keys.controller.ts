import { Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.interceptor';
import { ApiKeyEntity, ApiKeyRole, keyUsable } from '@fstore/control-store';
import { NotFound } from '../errors/domain-errors';
import { ApiKeysService } from './api-keys.service';
import { Principal } from './api-keys.service';
import { CurrentPrincipal, Roles } from './auth.decorators';
import { ApiErrors } from '@fstore/rest-api';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { ApiKeyDto, ApiKeyListDto } from '../responses.dto';

const presentKey = (k: ApiKeyEntity): ApiKeyDto => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role as ApiKeyRole,
  created_at: k.createdAt,
  expires_at: k.expiresAt,
  revoked_at: k.revokedAt,
  usable: keyUsable(k),
});

/** The control plane's API keys, for admins: who holds which role, and revoking one. */
@ApiTags('api keys')
@ApiBearerAuth()
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1/apikeys')
export class ApiKeysController {
  constructor(@Inject(ApiKeysService) private readonly keys: ApiKeysService) {}

  /** Every key (never the key itself nor its hash), newest first. */
  @Get()
  @Roles('admin')
  @ApiOkResponse({ type: ApiKeyListDto })
  @ApiErrors(E.forbidden)
  async list(): Promise<ApiKeyListDto> {
    return { keys: (await this.keys.list()).map(presentKey) };
  }

  /** Revokes a key at once: its next request is 401. */
  @Post(':id/revoke')
  @HttpCode(200)
  @Roles('admin')
  @Audited('apikey.revoke')
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiErrors(E.forbidden, E.notFound)
  async revoke(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiKeyDto> {
    const key = await this.keys.revoke(id, principal);
    if (!key) throw NotFound('api key', id);
    return presentKey(key);
  }
}
