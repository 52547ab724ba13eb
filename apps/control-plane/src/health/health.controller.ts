import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@fstore/rest-api';
import { Public } from '../auth/auth.decorators';
import { HealthService } from './health.service';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { LiveDto, ReadyDto } from '../responses.dto';

@ApiTags('health')
@ApiErrors(E.unhandled)
@Controller()
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL, the queue Redis and Flink answer. */
  @Public()
  @Get('health/ready')
  @ApiOkResponse({ type: ReadyDto, description: 'ready, with each dependency' })
  @ApiErrors(E.dependencyUnavailable)
  ready(): Promise<ReadyDto> {
    return this.health.ready();
  }
}
