import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { FeaturesService } from './features.service';

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
@Controller('v1/features')
export class FeaturesController {
  constructor(@Inject(FeaturesService) private readonly features: FeaturesService) {}

  /** Every feature with its producing job and that job's observed state. */
  @Get()
  async list() {
    return { features: await this.features.list() };
  }

  @Get(':name')
  get(@Param('name') name: string, @Query() q: FeatureQuery) {
    return this.features.get(name, q.entity_id);
  }
}
