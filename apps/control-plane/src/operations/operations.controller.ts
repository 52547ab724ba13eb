import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiErrors, UuidPipe } from '@fstore/rest-api';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { presentOperation } from '../presenters';
import { OperationsService } from './operations.service';
import { CONTROL_ERRORS as E } from '../errors/api-errors';
import { OperationDto } from '../responses.dto';

@ApiTags('operations')
@ApiBearerAuth()
@ApiErrors(E.validation, E.unauthenticated, E.unavailable, E.unhandled)
@Controller('v1/operations')
export class OperationsController {
  constructor(@Inject(OperationsService) private readonly operations: OperationsService) {}

  /** An asynchronous operation: queued, running, succeeded (with its result) or failed. */
  @Get(':id')
  @ApiOkResponse({ type: OperationDto })
  @ApiErrors(E.notFound)
  async get(@Param('id', UuidPipe) id: string): Promise<OperationDto> {
    return presentOperation(await this.operations.get(id));
  }
}
