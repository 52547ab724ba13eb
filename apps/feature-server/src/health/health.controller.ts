import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { OnlineStore } from '@fstore/online-store';
import { Public } from '../auth/auth.decorators';
import { StoreUnavailable } from '../errors/domain-errors';
import { ONLINE_STORE } from '../features/online-store.provider';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(@Inject(ONLINE_STORE) private readonly store: OnlineStore) {}

  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  live() {
    return { status: 'ok' };
  }

  /** Readiness: every Redis Cluster master answers and the cluster state is ok. */
  @Public()
  @Get('health/ready')
  @ApiOkResponse({ description: 'ready' })
  @ApiServiceUnavailableResponse({ description: 'Redis Cluster not reachable (error_code 1400)' })
  async ready() {
    try {
      await this.store.checkHealth();
    } catch (e) {
      throw StoreUnavailable((e as Error).message);
    }
    return { status: 'ready' };
  }

  /** The original API's health check. */
  @Public()
  @Get('api/health-check')
  legacy() {
    return { status: 'healthy' };
  }
}
