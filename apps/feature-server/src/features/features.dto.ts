import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
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
/** An id part as docs/design.md §2 allows it (non-empty, at most 64 characters, no braces). */
const ID_PART = /^[^{}]{1,64}$/;

const splitCsv = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;

// The hot routes' fast path (FastPathDto in errors/validation.ts): the same rules as the
// decorators, for the common valid shape only; anything else goes to class-validator.
const ENTITY_SET: ReadonlySet<string> = new Set(ENTITY_NAMES);
const FEATURE_SET: ReadonlySet<string> = new Set(FEATURE_NAMES);

/** Whether every own key of `value` is one of `allowed` (whitelisting refuses any other). */
function onlyKeys(value: object, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** @MaxLength(max): class-validator counts a surrogate pair as one character, so length ≤ max suffices. */
const shortString = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length <= max;
const featureList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === 'string' && FEATURE_SET.has(n));

export class EntityParams {
  @ApiProperty({ enum: ENTITY_NAMES })
  @IsIn(ENTITY_NAMES)
  entity!: EntityName;

  @ApiProperty({ description: 'entity id; customer_product ids are `customer_id:product_id`' })
  @IsString()
  @MaxLength(129)
  id!: string;

  static accept(value: unknown): EntityParams | undefined {
    if (!isObject(value) || !onlyKeys(value, ['entity', 'id'])) return undefined;
    const { entity, id } = value;
    if (typeof entity !== 'string' || !ENTITY_SET.has(entity) || !shortString(id, 129)) {
      return undefined;
    }
    return Object.assign(new EntityParams(), { entity: entity as EntityName, id });
  }
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

  static accept(value: unknown): FeatureNamesQuery | undefined {
    if (!isObject(value) || !onlyKeys(value, ['names'])) return undefined;
    if (value.names === undefined) return new FeatureNamesQuery();
    if (typeof value.names !== 'string') return undefined;
    const names = splitCsv({ value: value.names }) as string[];
    return featureList(names) ? Object.assign(new FeatureNamesQuery(), { names }) : undefined;
  }
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

  static accept(value: unknown): BatchBody | undefined {
    if (!isObject(value) || !onlyKeys(value, ['entity', 'ids', 'features'])) return undefined;
    const { entity, ids, features } = value;
    if (typeof entity !== 'string' || !ENTITY_SET.has(entity)) return undefined;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => shortString(id, 129))) {
      return undefined;
    }
    if (features !== undefined && !featureList(features)) return undefined;
    const body = Object.assign(new BatchBody(), { entity: entity as EntityName, ids });
    if (features !== undefined) body.features = features;
    return body;
  }
}

export class WindowDto {
  @ApiProperty({
    format: 'date-time',
    description: 'exclusive: events with a later event time count, ISO-8601',
  })
  start!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'inclusive: events up to this event time count, ISO-8601',
  })
  end!: string;
}

/**
 * One stored feature value. The answer's shapes are classes with @ApiProperty so that the OpenAPI
 * document (docs/openapi/feature-server.json) follows them: a new field here is documented and
 * reaches the generated clients with `fstore openapi`.
 */
export class FeatureValueDto {
  @ApiProperty({ nullable: true, type: Number }) value!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'event time of the value, ISO-8601',
  })
  event_time!: string | null;
  @ApiProperty({ description: 'older than the configured maximum age for its engine' })
  stale!: boolean;
  @ApiPropertyOptional({
    type: WindowDto,
    description:
      'time-window features only: the window the value covers at the read (docs/online-store-format.md)',
  })
  window?: WindowDto;
}

export class EntityFeaturesDto {
  @ApiProperty({ enum: ENTITY_NAMES }) entity!: EntityName;
  @ApiProperty() id!: string;
  @ApiProperty({
    type: 'object',
    description: 'by feature name; null when the entity has no value of that feature',
    additionalProperties: {
      anyOf: [{ $ref: getSchemaPath(FeatureValueDto) }, { type: 'null' }],
    },
  })
  features!: Record<string, FeatureValueDto | null>;
}

export class BatchResponseDto {
  @ApiProperty({ type: [EntityFeaturesDto], description: 'one per requested id, in order' })
  results!: EntityFeaturesDto[];
}

// The original API's answers (docs/legacy-api.md): one number each.
export class AvgRatingDto {
  @ApiProperty({ example: 4.2 }) avg_rating!: number;
}
export class AmountDto {
  @ApiProperty({ example: 12.5 }) amount!: number;
}
export class RatingDto {
  @ApiProperty({ example: 5 }) rating!: number;
}
export class RevenueDto {
  @ApiProperty({ example: 1234.5 }) revenue!: number;
}
export class UnitsDto {
  @ApiProperty({ example: 17 }) units!: number;
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
