import {
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { EVENT_ID_FIELD, FIELDS, FieldSpec, INT_MAX, PRICE_INTEGER_DIGITS } from './fields';

/** `YYYY-MM-DD HH:MM:SS[.fff]`, UTC: how the producer writes every event time. */
export const NORMALIZED_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{3})?$/;

const nullable = (_: object, v: unknown) => v !== null && v !== undefined;

/**
 * The raw event (docs/design.md §2) as the producer publishes it on `ecommerce.transactions`: one
 * JSON object with these fields, in this order. Nullable fields are present with `null`.
 * The decorators state the same rules as FIELDS; `validate()` is the fast path that applies them
 * to text input, and a spec checks that both agree.
 */
export class RawEvent {
  @IsString() @IsNotEmpty() @MaxLength(EVENT_ID_FIELD.maxLength) event_id!: string;
  @IsString() @IsNotEmpty() @MaxLength(64) customer_id!: string;
  @IsString() @IsNotEmpty() @MaxLength(64) product_id!: string;
  @IsString() @IsNotEmpty() @MaxLength(64) category!: string;
  @IsDefined()
  @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10 ** PRICE_INTEGER_DIGITS - 0.01)
  price!: number;
  @IsInt() @Min(1) @Max(INT_MAX) quantity!: number;
  @IsString() @Matches(NORMALIZED_TIMESTAMP) transaction_date!: string;
  @ValidateIf(nullable) @IsInt() @Min(1) @Max(5) review_rating!: number | null;
  @IsOptional() @IsString() @MaxLength(2000) review_text!: string | null;
  @ValidateIf(nullable) @IsInt() @Min(0) @Max(INT_MAX) customer_age!: number | null;
  @IsOptional() @IsString() @MaxLength(64) customer_gender!: string | null;
  @IsOptional() @IsString() @MaxLength(64) country!: string | null;
  @IsOptional() @IsString() @MaxLength(64) device_type!: string | null;
  @ValidateIf(nullable) @IsInt() @Min(0) @Max(INT_MAX) browsing_duration!: number | null;
  @ValidateIf(nullable) @IsInt() @Min(0) @Max(INT_MAX) previous_purchases!: number | null;
}

function schemaOf(f: FieldSpec): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  switch (f.kind) {
    case 'id':
    case 'string':
      base.type = 'string';
      if (f.kind === 'id' || f.required) base.minLength = 1;
      if (f.maxLength !== undefined) base.maxLength = f.maxLength;
      break;
    case 'decimal':
      base.type = 'number';
      base.multipleOf = 0.01;
      base.maximum = 10 ** PRICE_INTEGER_DIGITS - 0.01;
      break;
    case 'int':
      base.type = 'integer';
      if (f.max !== undefined) base.maximum = f.max;
      break;
    case 'timestamp':
      base.type = 'string';
      base.pattern = NORMALIZED_TIMESTAMP.source;
      base.description = 'event time, UTC';
      break;
  }
  if (f.min !== undefined) base.minimum = f.min;
  if (!f.required) base.type = [base.type as string, 'null'];
  return base;
}

/** JSON Schema (draft 2020-12) of a message value on `ecommerce.transactions`. */
export const RAW_EVENT_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://fstore.local/schemas/raw-event.json',
  title: 'RawEvent',
  description:
    'One e-commerce transaction (docs/design.md §2), as published on ecommerce.transactions',
  type: 'object',
  additionalProperties: false,
  required: [EVENT_ID_FIELD.name, ...FIELDS.map((f) => f.name)],
  properties: Object.fromEntries(
    [{ ...EVENT_ID_FIELD, required: true }, ...FIELDS].map((f) => [f.name, schemaOf(f)]),
  ),
} as const;
