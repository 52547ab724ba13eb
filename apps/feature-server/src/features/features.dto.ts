import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { ENTITIES, EntityName, FEATURES } from '@fstore/contracts';

const ENTITY_NAMES = Object.keys(ENTITIES) as EntityName[];
const FEATURE_NAMES = FEATURES.map((f) => f.name);
/** An id part as DESIGN §2 allows it (non-empty, at most 64 characters, no braces). */
const ID_PART = /^[^{}]{1,64}$/;

const splitCsv = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;

export class EntityParams {
  @ApiProperty({ enum: ENTITY_NAMES })
  @IsIn(ENTITY_NAMES)
  entity!: EntityName;

  @ApiProperty({ description: 'entity id; customer_product ids are `customer_id:product_id`' })
  @IsString()
  @MaxLength(129)
  id!: string;
}

export class FeatureNamesQuery {
  @ApiPropertyOptional({
    description: 'comma-separated feature names (default: every feature of the entity)',
    example: 'avg_review,units_sold',
  })
  @IsOptional()
  @Transform(splitCsv)
  @IsArray()
  @IsIn(FEATURE_NAMES, { each: true })
  names?: string[];
}

export class BatchBody {
  @ApiProperty({ enum: ENTITY_NAMES })
  @IsIn(ENTITY_NAMES)
  entity!: EntityName;

  @ApiProperty({ type: [String], description: 'entity ids (limit: FSTORE_SERVING_MAX_BATCH)' })
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  @MaxLength(129, { each: true })
  ids!: string[];

  @ApiPropertyOptional({ type: [String], description: 'default: every feature of the entity' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(FEATURE_NAMES, { each: true })
  features?: string[];
}

export class FeatureValueDto {
  @ApiProperty({ nullable: true, type: Number }) value!: number | null;
  @ApiProperty({ nullable: true, description: 'event time of the value, ISO-8601' })
  event_time!: string | null;
  @ApiProperty({ description: 'older than the configured maximum age for its engine' })
  stale!: boolean;
}

export class EntityFeaturesDto {
  @ApiProperty({ enum: ENTITY_NAMES }) entity!: EntityName;
  @ApiProperty() id!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/FeatureValueDto' },
  })
  features!: Record<string, FeatureValueDto | null>;
}

export class BatchResponseDto {
  @ApiProperty({ type: [EntityFeaturesDto] }) results!: EntityFeaturesDto[];
}

/** One id parameter of the original API: non-empty, at most 64 characters. */
export function IdParam(): PropertyDecorator {
  return (target, key) => {
    IsString()(target, key);
    IsNotEmpty()(target, key);
    MaxLength(64)(target, key);
    Matches(ID_PART, { message: `${String(key)} must not contain braces` })(target, key);
    ApiProperty({ example: 'fa954a98' })(target, key);
  };
}

export class ProductQuery {
  @IdParam() product_id!: string;
}
export class CustomerQuery {
  @IdParam() customer_id!: string;
}
export class CategoryQuery {
  @IdParam() category!: string;
}
export class CustomerProductQuery {
  @IdParam() customer_id!: string;
  @IdParam() product_id!: string;
}

export { ID_PART };
