import { Controller, Get, Inject, Param } from '@nestjs/common';
import { UuidPipe } from '@fstore/rest-api';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { presentOperation } from '../presenters';
import { OperationsService } from './operations.service';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('v1/operations')
export class OperationsController {
  constructor(@Inject(OperationsService) private readonly operations: OperationsService) {}

  /** An asynchronous operation: queued, running, succeeded (with its result) or failed. */
  @Get(':id')
  async get(@Param('id', UuidPipe) id: string) {
    return presentOperation(await this.operations.get(id));
  }
}
