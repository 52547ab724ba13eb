import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ServingMetrics } from './metrics';

@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(@Inject(ServingMetrics) private readonly metrics: ServingMetrics) {}

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
