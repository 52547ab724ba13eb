import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ApiErrors } from '@fstore/rest-api';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { ConsoleHealthDto, ConsoleHealthHistoryDto } from '../responses.dto';
import { ConsoleHealthService } from './console-health.service';

class HistoryQuery {
  @ApiPropertyOptional({ type: 'integer', default: 60, minimum: 5, maximum: 1440 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(1440)
  minutes?: number;
}

@ApiTags('console')
@ApiBearerAuth()
@ApiErrors(E.validation, E.unauthenticated, E.unhandled)
@Controller('v1/console')
export class ConsoleHealthController {
  constructor(@Inject(ConsoleHealthService) private readonly health: ConsoleHealthService) {}

  /** The dependencies' state and a fixed set of Prometheus numbers (freshness, lag, job state). */
  @Get('health')
  @ApiOkResponse({ type: ConsoleHealthDto })
  report(): Promise<ConsoleHealthDto> {
    return this.health.report();
  }

  /** The same numbers over the last `minutes` (default 60), for the health page's charts. */
  @Get('health/history')
  @ApiOkResponse({ type: ConsoleHealthHistoryDto })
  history(@Query() query: HistoryQuery): Promise<ConsoleHealthHistoryDto> {
    return this.health.history(query.minutes ?? 60);
  }
}
