import { Body, Controller, Get, Inject, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.interceptor';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { presentJob, presentVersion } from '../presenters';
import { RegisterJobDto, RegisterVersionDto } from './jobs.dto';
import { JobsService } from './jobs.service';
import { ApiErrors } from '@fstore/rest-api';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { JobDetailDto, JobListDto, JobVersionDto } from '../responses.dto';

@ApiTags('jobs')
@ApiBearerAuth()
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1/jobs')
export class JobsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  /** Registers a job and its version 1 (the source file is read now and kept). */
  @Post()
  @Roles('operator')
  @Audited('job.register')
  @ApiCreatedResponse({ type: JobVersionDto, description: 'its version 1' })
  @ApiErrors(E.forbidden, E.validation, E.jobParameter, E.exists)
  async register(
    @Body() body: RegisterJobDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobVersionDto> {
    return presentVersion(await this.jobs.register(body, principal));
  }

  @Get()
  @ApiOkResponse({ type: JobListDto })
  async list(): Promise<JobListDto> {
    return { jobs: (await this.jobs.list()).map(presentJob) };
  }

  @Get(':name')
  @ApiOkResponse({ type: JobDetailDto })
  @ApiErrors(E.notFound)
  async get(@Param('name') name: string): Promise<JobDetailDto> {
    const { job, versions, live } = await this.jobs.describe(name);
    return {
      ...presentJob(job),
      versions: versions.map((v) => presentVersion(v)),
      live_deployment_id: live?.id ?? null,
    };
  }

  /** Registers the next version (versions never change once registered). */
  @Post(':name/versions')
  @Roles('operator')
  @Audited('job.version')
  @ApiCreatedResponse({ type: JobVersionDto })
  @ApiErrors(E.forbidden, E.validation, E.jobParameter, E.notFound)
  async addVersion(
    @Param('name') name: string,
    @Body() body: RegisterVersionDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobVersionDto> {
    return presentVersion(await this.jobs.addVersion(name, body, principal));
  }

  @Get(':name/versions/:version')
  @ApiOkResponse({ type: JobVersionDto, description: 'with its content' })
  @ApiErrors(E.notFound)
  async version(
    @Param('name') name: string,
    @Param('version', ParseIntPipe) version: number,
  ): Promise<JobVersionDto> {
    return presentVersion(await this.jobs.getVersion(name, version), true);
  }
}
