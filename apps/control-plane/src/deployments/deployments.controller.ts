import {
  applyDecorators,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiErrors, UuidPipe } from '@fstore/rest-api';
import { FstoreConfig } from '@fstore/config';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.interceptor';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { IdempotencyKey } from '../operations/idempotency';
import { presentAccepted, presentDeployment } from '../presenters';
import { ActionDto, DeployDto, ListDeploymentsQuery } from './deployments.dto';
import { DeploymentsService } from './deployments.service';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { AcceptedDto, DeploymentDto, DeploymentListDto } from '../responses.dto';
import { CONFIG } from '../tokens';

/** An operator's change of a deployment: 202 with the operation to poll, audited as `audit`. */
const OperatorAction = (route: string, audit: string) =>
  applyDecorators(
    Post(route),
    Roles('operator'),
    HttpCode(202),
    Audited(audit),
    ApiAcceptedResponse({ type: AcceptedDto }),
    ApiErrors(E.forbidden, E.notFound, E.stateConflict),
  );

@ApiTags('deployments')
@ApiBearerAuth()
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1')
export class DeploymentsController {
  constructor(
    @Inject(DeploymentsService) private readonly deployments: DeploymentsService,
    @Inject(CONFIG) private readonly config: FstoreConfig,
  ) {}

  /** Deploys a version of a streaming job (asynchronous: poll the operation). */
  @OperatorAction('jobs/:name/deployments', 'deployment.deploy')
  async deploy(
    @Param('name') name: string,
    @Body() body: DeployDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(await this.deployments.deploy(name, body.version, principal, key));
  }

  @Get('deployments')
  @ApiOkResponse({ type: DeploymentListDto })
  async list(@Query() query: ListDeploymentsQuery): Promise<DeploymentListDto> {
    const rows = await this.deployments.list(query);
    return { deployments: rows.map((d) => presentDeployment(d, this.config)) };
  }

  @Get('deployments/:id')
  @ApiOkResponse({ type: DeploymentDto })
  @ApiErrors(E.notFound)
  async get(@Param('id', UuidPipe) id: string): Promise<DeploymentDto> {
    return presentDeployment(await this.deployments.get(id), this.config);
  }

  /** Stops the job with a savepoint. */
  @OperatorAction('deployments/:id/pause', 'deployment.pause')
  async pause(
    @Param('id', UuidPipe) id: string,
    @Body() _body: ActionDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(await this.deployments.transition(id, 'pause', principal, key));
  }

  /** Starts the job again from its last savepoint. */
  @OperatorAction('deployments/:id/resume', 'deployment.resume')
  async resume(
    @Param('id', UuidPipe) id: string,
    @Body() _body: ActionDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(await this.deployments.transition(id, 'resume', principal, key));
  }

  /**
   * Starts a job Flink no longer knows (vanished) again, same version, from the newest complete
   * retained checkpoint of its last Flink job or the last savepoint, whichever is newer; fails
   * rather than start from empty state. The reconciler queues it itself for a vanished job.
   */
  @OperatorAction('deployments/:id/recover', 'deployment.recover')
  async recover(
    @Param('id', UuidPipe) id: string,
    @Body() _body: ActionDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(await this.deployments.transition(id, 'recover', principal, key));
  }

  @OperatorAction('deployments/:id/cancel', 'deployment.cancel')
  async cancel(
    @Param('id', UuidPipe) id: string,
    @Body() _body: ActionDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(await this.deployments.transition(id, 'cancel', principal, key));
  }

  /** Stops the job with a savepoint and starts the new version from it. */
  @OperatorAction('deployments/:id/upgrade', 'deployment.upgrade')
  async upgrade(
    @Param('id', UuidPipe) id: string,
    @Body() body: DeployDto,
    @CurrentPrincipal() principal: Principal,
    @IdempotencyKey() key?: string,
  ): Promise<AcceptedDto> {
    return presentAccepted(
      await this.deployments.transition(id, 'upgrade', principal, key, body.version),
    );
  }
}
