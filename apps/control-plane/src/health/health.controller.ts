import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  live() {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL, the queue Redis and Flink answer. */
  @Public()
  @Get('health/ready')
  @ApiOkResponse({ description: 'ready, with each dependency' })
  @ApiServiceUnavailableResponse({ description: 'a dependency does not answer (error_code 1400)' })
  ready() {
    return this.health.ready();
  }
}
