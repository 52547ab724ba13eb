import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { UuidPipe } from '@fstore/rest-api';
import { FstoreConfig } from '@fstore/config';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.interceptor';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { CONFIG } from '../config';
import { IdempotencyKey } from '../operations/idempotency';
import { presentAccepted, presentDeployment } from '../presenters';
import { ActionDto, DeployDto, ListDeploymentsQuery } from './deployments.dto';
import { DeploymentsService } from './deployments.service';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('v1')
export class DeploymentsController {
  constructor(
    @Inject(DeploymentsService) private readonly deployments: DeploymentsService,
    @Inject(CONFIG) private readonly config: FstoreConfig,
  ) {}

  /** Deploys a version of a streaming job (asynchronous: poll the operation). */
  @Post('jobs/:name/deployments')
  @Roles('operator')
  @HttpCode(202)
  @Audited('deployment.deploy')
  @ApiAcceptedResponse({ description: '{operation_id}' })
  @ApiConflictResponse({ description: 'the job already has a live deployment' })
  async deploy(
    @Param('name') name: string,
    @Body() body: DeployDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ) {
    return presentAccepted(await this.deployments.deploy(name, body.version, principal, key));
  }

  @Get('deployments')
  async list(@Query() query: ListDeploymentsQuery) {
    const rows = await this.deployments.list(query);
    return { deployments: rows.map((d) => presentDeployment(d, this.config)) };
  }

  @Get('deployments/:id')
  async get(@Param('id', UuidPipe) id: string) {
    return presentDeployment(await this.deployments.get(id), this.config);
  }

  /** Stops the job with a savepoint. */
  @Post('deployments/:id/pause')
  @Roles('operator')
  @HttpCode(202)
  @Audited('deployment.pause')
  @ApiConflictResponse({ description: 'not running, or an operation is in progress' })
  async pause(
    @Param('id', UuidPipe) id: string,
    @Body() _body: ActionDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ) {
    return presentAccepted(await this.deployments.transition(id, 'pause', principal, key));
  }

  /** Starts the job again from its last savepoint. */
  @Post('deployments/:id/resume')
  @Roles('operator')
  @HttpCode(202)
  @Audited('deployment.resume')
  @ApiConflictResponse({ description: 'not paused, or an operation is in progress' })
  async resume(
    @Param('id', UuidPipe) id: string,
    @Body() _body: ActionDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ) {
    return presentAccepted(await this.deployments.transition(id, 'resume', principal, key));
  }

  @Post('deployments/:id/cancel')
  @Roles('operator')
  @HttpCode(202)
  @Audited('deployment.cancel')
  @ApiConflictResponse({ description: 'already cancelled, or an operation is in progress' })
  async cancel(
    @Param('id', UuidPipe) id: string,
    @Body() _body: ActionDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ) {
    return presentAccepted(await this.deployments.transition(id, 'cancel', principal, key));
  }

  /** Stops the job with a savepoint and starts the new version from it. */
  @Post('deployments/:id/upgrade')
  @Roles('operator')
  @HttpCode(202)
  @Audited('deployment.upgrade')
  @ApiConflictResponse({ description: 'not running, or an operation is in progress' })
  async upgrade(
    @Param('id', UuidPipe) id: string,
    @Body() body: DeployDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ) {
    return presentAccepted(
      await this.deployments.transition(id, 'upgrade', principal, key, body.version),
    );
  }
}
