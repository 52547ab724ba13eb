import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { presentAudit } from '../presenters';
import { AuditService } from './audit.service';
import { ApiErrors } from '@fstore/rest-api';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { AuditListDto } from '../responses.dto';

class AuditQuery {
  @ApiPropertyOptional({ example: 'deployment:3f0c…' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  target?: string;

  @ApiPropertyOptional({ example: 'key:ci' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

@ApiTags('audit')
@ApiBearerAuth()
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  /** Every admin action, newest first: who, what, when, outcome. */
  @Get()
  @ApiOkResponse({ type: AuditListDto })
  async list(@Query() q: AuditQuery): Promise<AuditListDto> {
    const rows = await this.audit.list({ target: q.target, actor: q.actor, limit: q.limit ?? 100 });
    return { entries: rows.map(presentAudit) };
  }
}
