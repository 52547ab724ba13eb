import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Audited } from '../audit/audit.interceptor';
import { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { PlanRequestDto } from './features-plan.dto';
import { FeaturesService } from './features.service';
import { ApiErrors } from '@fstore/rest-api';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import {
  BatchProducerDto,
  FeatureApplyDto,
  FeatureDetailDto,
  FeatureListDto,
  FeaturePlanDto,
  FeatureVersionsDto,
  StreamProducerDto,
} from '../responses.dto';

class FeatureQuery {
  @ApiPropertyOptional({
    description: 'Entity id (composite ids as c1:p1): adds value and event time',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  entity_id?: string;
}

@ApiTags('features')
@ApiBearerAuth()
@ApiExtraModels(StreamProducerDto, BatchProducerDto)
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1/features')
export class FeaturesController {
  constructor(@Inject(FeaturesService) private readonly features: FeaturesService) {}

  /** Every feature with its producing job and that job's observed state. */
  @Get()
  @ApiOkResponse({ type: FeatureListDto })
  async list(): Promise<FeatureListDto> {
    return { features: await this.features.list() };
  }

  /** What applying these definitions would change (features, jobs, backfills); changes nothing. */
  @Post('plan')
  @HttpCode(200)
  @ApiOkResponse({ type: FeaturePlanDto })
  @ApiErrors(E.bodyTooLarge)
  plan(@Body() body: PlanRequestDto): Promise<FeaturePlanDto> {
    return this.features.plan(body);
  }

  /** Records the definitions as new registry versions and answers the plan that was applied. */
  @Post('apply')
  @HttpCode(200)
  @Roles('operator')
  @Audited('features.apply')
  @ApiOkResponse({ type: FeatureApplyDto })
  @ApiErrors(E.forbidden, E.bodyTooLarge)
  apply(
    @Body() body: PlanRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<FeatureApplyDto> {
    return this.features.apply(body, principal);
  }

  /** Every applied version of the feature, newest first: who applied it, when, the definition. */
  @Get(':name/versions')
  @ApiOkResponse({ type: FeatureVersionsDto })
  @ApiErrors(E.notFound)
  versions(@Param('name') name: string): Promise<FeatureVersionsDto> {
    return this.features.versions(name);
  }

  @Get(':name')
  @ApiOkResponse({ type: FeatureDetailDto })
  @ApiErrors(E.notFound)
  get(@Param('name') name: string, @Query() q: FeatureQuery): Promise<FeatureDetailDto> {
    return this.features.get(name, q.entity_id);
  }
}
