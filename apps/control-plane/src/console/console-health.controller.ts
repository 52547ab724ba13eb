import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@fstore/rest-api';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { ConsoleHealthDto } from '../responses.dto';
import { ConsoleHealthService } from './console-health.service';

@ApiTags('console')
@ApiBearerAuth()
@ApiErrors(E.unauthenticated, E.unhandled)
@Controller('v1/console')
export class ConsoleHealthController {
  constructor(@Inject(ConsoleHealthService) private readonly health: ConsoleHealthService) {}

  /** The dependencies' state and a fixed set of Prometheus numbers (freshness, lag, job state). */
  @Get('health')
  @ApiOkResponse({ type: ConsoleHealthDto })
  report(): Promise<ConsoleHealthDto> {
    return this.health.report();
  }
}
