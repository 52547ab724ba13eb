import { Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.interceptor';
import { ApiKeyEntity } from '../database/entities';
import { NotFound } from '../errors/domain-errors';
import { keyUsable } from './api-keys';
import { ApiKeysService } from './api-keys.service';
import { Principal } from './api-keys.service';
import { CurrentPrincipal, Roles } from './auth.decorators';

const presentKey = (k: ApiKeyEntity) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  created_at: k.createdAt,
  expires_at: k.expiresAt,
  revoked_at: k.revokedAt,
  usable: keyUsable(k),
});

/** The control plane's API keys, for admins: who holds which role, and revoking one. */
@ApiTags('api keys')
@ApiBearerAuth()
@Controller('v1/apikeys')
export class ApiKeysController {
  constructor(@Inject(ApiKeysService) private readonly keys: ApiKeysService) {}

  /** Every key (never the key itself nor its hash), newest first. */
  @Get()
  @Roles('admin')
  async list() {
    return { keys: (await this.keys.list()).map(presentKey) };
  }

  /** Revokes a key at once: its next request is 401. */
  @Post(':id/revoke')
  @HttpCode(200)
  @Roles('admin')
  @Audited('apikey.revoke')
  async revoke(@Param('id', ParseUUIDPipe) id: string, @CurrentPrincipal() principal: Principal) {
    const key = await this.keys.revoke(id, principal);
    if (!key) throw NotFound('api key', id);
    return presentKey(key);
  }
}
