import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiErrors, UuidPipe } from '@fstore/rest-api';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Audited } from '../audit/audit.interceptor';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { JOB_NAME } from '@fstore/contracts';
import { IdempotencyKey } from '../operations/idempotency';
import { presentAccepted, presentRun } from '../presenters';
import { BackfillDto, TriggerRunDto } from './runs.dto';
import { RunsService } from './runs.service';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { AcceptedDto, RunDto, RunListDto } from '../responses.dto';

class ListRunsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(JOB_NAME)
  job?: string;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

@ApiTags('runs')
@ApiBearerAuth()
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1')
export class RunsController {
  constructor(@Inject(RunsService) private readonly runs: RunsService) {}

  /** Triggers a batch run of a PySpark job through Livy (asynchronous). */
  @Post('jobs/:name/runs')
  @Roles('operator')
  @HttpCode(202)
  @Audited('run.trigger')
  @ApiAcceptedResponse({ type: AcceptedDto })
  @ApiErrors(E.forbidden, E.validation, E.runArgument, E.notFound, E.idempotencyKeyReused)
  async trigger(
    @Param('name') name: string,
    @Body() body: TriggerRunDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(await this.runs.trigger(name, body, principal, key));
  }

  /**
   * A backfill: one run a day from `from` to `to`, each as of its day, one after the other,
   * stopped at the first that fails (one operation; its result lists the runs).
   */
  @Post('jobs/:name/backfills')
  @Roles('operator')
  @HttpCode(202)
  @Audited('run.backfill')
  @ApiAcceptedResponse({ type: AcceptedDto })
  @ApiErrors(E.forbidden, E.validation, E.runArgument, E.notFound, E.idempotencyKeyReused)
  async backfill(
    @Param('name') name: string,
    @Body() body: BackfillDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(await this.runs.backfill(name, body, principal, key));
  }

  @Get('runs')
  @ApiOkResponse({ type: RunListDto })
  async list(@Query() query: ListRunsQuery): Promise<RunListDto> {
    const rows = await this.runs.list({ job: query.job, limit: query.limit ?? 50 });
    return { runs: rows.map((r) => presentRun(r)) };
  }

  /** One run, with the tail of its log. */
  @Get('runs/:id')
  @ApiOkResponse({ type: RunDto, description: 'with log_tail' })
  @ApiErrors(E.notFound)
  async get(@Param('id', UuidPipe) id: string): Promise<RunDto> {
    return presentRun(await this.runs.get(id), true);
  }
}
