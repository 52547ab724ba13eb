import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Span } from '@opentelemetry/api';
import { ApiErrors } from '@fstore/rest-api';
import { SERVING_ERRORS } from '../errors/api-errors';
import {
  BatchBody,
  BatchResponseDto,
  EntityFeaturesDto,
  EntityParams,
  FeatureNamesQuery,
  FeatureValueDto,
} from './features.dto';
import { FeaturesService } from './features.service';
import { RequestSpan } from './request-span.decorator';

const E = SERVING_ERRORS;

@ApiTags('features')
@ApiBearerAuth()
@ApiExtraModels(FeatureValueDto)
@ApiErrors(E.validation, E.unauthenticated, E.storeUnavailable, E.unhandled)
@Controller('v1/features')
export class FeaturesController {
  constructor(private readonly features: FeaturesService) {}

  @Get(':entity/:id')
  @ApiOkResponse({ type: EntityFeaturesDto, description: 'the values of one entity' })
  @ApiErrors(E.entityNotFound)
  entity(
    @Param() params: EntityParams,
    @Query() query: FeatureNamesQuery,
    @RequestSpan() parent: Span | undefined,
  ): Promise<EntityFeaturesDto> {
    return this.features.entity(params.entity, params.id, query.names, parent);
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOkResponse({ type: BatchResponseDto, description: 'a missing value is null' })
  @ApiErrors(E.bodyTooLarge)
  async batch(
    @Body() body: BatchBody,
    @RequestSpan() parent: Span | undefined,
  ): Promise<BatchResponseDto> {
    return { results: await this.features.batch(body.entity, body.ids, body.features, parent) };
  }
}
