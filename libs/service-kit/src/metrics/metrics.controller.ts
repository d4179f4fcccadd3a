import { Controller, Get, Inject, Res } from '@nestjs/common';
import { type MetricsRegistry, renderMetrics } from '@switchboard/metrics';
import type { Response } from 'express';
import { METRICS_REGISTRY } from '../tokens';

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: MetricsRegistry) {}

  @Get()
  async metrics(@Res() response: Response): Promise<void> {
    const { contentType, body } = await renderMetrics(this.registry);
    response.setHeader('Content-Type', contentType);
    response.send(body);
  }
}
