import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { UuidPipe } from '@fstore/rest-api';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Audited } from '../audit/audit.interceptor';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { JOB_NAME } from '../jobs/jobs.dto';
import { IdempotencyKey } from '../operations/idempotency';
import { presentAccepted, presentRun } from '../presenters';
import { TriggerRunDto } from './runs.dto';
import { RunsService } from './runs.service';

class ListRunsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(JOB_NAME)
  job?: string;

  @ApiPropertyOptional({ default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

@ApiTags('runs')
@ApiBearerAuth()
@Controller('v1')
export class RunsController {
  constructor(@Inject(RunsService) private readonly runs: RunsService) {}

  /** Triggers a batch run of a PySpark job through Livy (asynchronous). */
  @Post('jobs/:name/runs')
  @Roles('operator')
  @HttpCode(202)
  @Audited('run.trigger')
  async trigger(
    @Param('name') name: string,
    @Body() body: TriggerRunDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ) {
    return presentAccepted(await this.runs.trigger(name, body, principal, key));
  }

  @Get('runs')
  async list(@Query() query: ListRunsQuery) {
    const rows = await this.runs.list({ job: query.job, limit: query.limit ?? 50 });
    return { runs: rows.map((r) => presentRun(r)) };
  }

  /** One run, with the tail of its log. */
  @Get('runs/:id')
  async get(@Param('id', UuidPipe) id: string) {
    return presentRun(await this.runs.get(id), true);
  }
}
