import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsISO8601,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_BACKFILL_DAYS } from './backfill-days';

export class TriggerRunDto {
  @ApiPropertyOptional({ description: 'Job version; default the latest' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({
    description: 'As-of time T of the run (ISO-8601); passed as `--as-of <T>`',
    example: '2026-01-31T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  as_of?: string;

  @ApiPropertyOptional({
    type: [String],
    description:
      "More arguments for the PySpark file: only those its declaration allows (400 1421 names the one refused); connection targets and credentials come from the control plane's configuration",
    example: ['--table', 'ecommerce.transactions'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  args?: string[];

  @ApiPropertyOptional({ description: 'Same key, same operation (or the Idempotency-Key header)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  idempotency_key?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class BackfillDto {
  @ApiProperty({
    description: 'First day (its run is as of that day, 00:00 UTC)',
    example: '2026-01-01',
  })
  @IsString()
  @Matches(DATE, { message: 'from must be a date (YYYY-MM-DD)' })
  from!: string;

  @ApiProperty({
    description: `Last day, included; at most ${MAX_BACKFILL_DAYS} days from "from"`,
    example: '2026-01-07',
  })
  @IsString()
  @Matches(DATE, { message: 'to must be a date (YYYY-MM-DD)' })
  to!: string;

  @ApiPropertyOptional({ description: 'Job version; default the latest' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({
    type: [String],
    description:
      "More arguments for every day's run (each day adds `--as-of <day>`): only those the job declares",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  args?: string[];

  @ApiPropertyOptional({ description: 'Same key, same operation (or the Idempotency-Key header)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  idempotency_key?: string;
}
