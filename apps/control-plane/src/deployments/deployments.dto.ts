import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { JOB_NAME } from '@fstore/contracts';

export class ActionDto {
  @ApiPropertyOptional({ description: 'Same key, same operation (or the Idempotency-Key header)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  idempotency_key?: string;
}

export class DeployDto extends ActionDto {
  @ApiProperty({ description: 'The job version to deploy (or upgrade to)', example: 1 })
  @IsInt()
  @Min(1)
  version!: number;
}

export class ListDeploymentsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(JOB_NAME)
  job?: string;

  @ApiPropertyOptional({ description: 'Only deployments not cancelled' })
  @IsOptional()
  @Type(() => Boolean)
  @IsBoolean()
  live?: boolean;
}
