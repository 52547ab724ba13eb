import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  BatchBody,
  BatchResponseDto,
  EntityFeaturesDto,
  EntityParams,
  FeatureNamesQuery,
} from './features.dto';
import { FeaturesService } from './features.service';

@ApiTags('features')
@ApiBearerAuth()
@Controller('v1/features')
export class FeaturesController {
  constructor(private readonly features: FeaturesService) {}

  @Get(':entity/:id')
  @ApiOkResponse({
    type: EntityFeaturesDto,
    description: '404 when the entity has no value at all',
  })
  entity(
    @Param() params: EntityParams,
    @Query() query: FeatureNamesQuery,
  ): Promise<EntityFeaturesDto> {
    return this.features.entity(params.entity, params.id, query.names);
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOkResponse({
    type: BatchResponseDto,
    description: 'a missing value is null; 413 above the limit',
  })
  async batch(@Body() body: BatchBody): Promise<BatchResponseDto> {
    return { results: await this.features.batch(body.entity, body.ids, body.features) };
  }
}
