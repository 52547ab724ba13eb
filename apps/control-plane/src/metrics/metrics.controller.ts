import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ControlMetrics } from './metrics';

@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(@Inject(ControlMetrics) private readonly metrics: ControlMetrics) {}

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
