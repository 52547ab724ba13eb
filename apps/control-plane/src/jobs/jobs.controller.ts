import { Body, Controller, Get, Inject, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.interceptor';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { presentJob, presentVersion } from '../presenters';
import { RegisterJobDto, RegisterVersionDto } from './jobs.dto';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('v1/jobs')
export class JobsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  /** Registers a job and its version 1 (the source file is read now and kept). */
  @Post()
  @Roles('operator')
  @Audited('job.register')
  @ApiConflictResponse({ description: 'the job exists' })
  async register(@Body() body: RegisterJobDto, @CurrentPrincipal() principal: Principal) {
    return presentVersion(await this.jobs.register(body, principal));
  }

  @Get()
  async list() {
    return { jobs: (await this.jobs.list()).map(presentJob) };
  }

  @Get(':name')
  async get(@Param('name') name: string) {
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
  async addVersion(
    @Param('name') name: string,
    @Body() body: RegisterVersionDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    return presentVersion(await this.jobs.addVersion(name, body, principal));
  }

  @Get(':name/versions/:version')
  async version(@Param('name') name: string, @Param('version', ParseIntPipe) version: number) {
    return presentVersion(await this.jobs.getVersion(name, version), true);
  }
}
