import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { JobKind } from '@fstore/control-store';
import { JOB_NAME, JOB_NAME_RULE } from '@fstore/contracts';

export class RegisterJobDto {
  @ApiProperty({ example: 'last_purchase_amount', pattern: JOB_NAME.source })
  @IsString()
  @Matches(JOB_NAME, { message: `name must be ${JOB_NAME_RULE}` })
  name!: string;

  @ApiProperty({ enum: ['flink-sql', 'pyspark'] })
  @IsIn(['flink-sql', 'pyspark'])
  kind!: JobKind;

  @ApiProperty({
    example: 'flink-sql/last_purchase_amount.sql',
    description: 'A file under flink-sql/ (flink-sql) or spark-jobs/ (pyspark), read now',
  })
  @IsString()
  @MaxLength(200)
  source!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      "Flink SQL placeholder values, overriding configuration: only placeholders the script uses, each of its type (…_TOPIC a topic name, …_GROUP a consumer group, each one the Flink user's Kafka ACLs grant: FSTORE_FLINK_KAFKA_TOPICS, FSTORE_FLINK_KAFKA_GROUPS); KAFKA_BROKERS and paths never (400 1420 names the one refused)",
    example: { TRANSACTIONS_TOPIC: 'test.transactions' },
  })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, string>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class RegisterVersionDto {
  @ApiProperty({ example: 'flink-sql/last_purchase_amount.sql' })
  @IsString()
  @MaxLength(200)
  source!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { FEATURE_TOPIC: 'features.last_purchase_amount' },
  })
  @IsOptional()
  @IsObject()
  parameters?: Record<string, string>;
}
