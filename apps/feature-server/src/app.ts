import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@fstore/config';
import { serviceLogger, traceFastifyRequests } from '@fstore/observability';
import { serveOpenApiDocument, useJsonBodyLimits } from '@fstore/rest-api';
import { AppModule } from './app.module';
import { EntityReadLane } from './features/entity-read.lane';
import { ServingMetrics } from './metrics/metrics';
import { featureServerDocument } from './openapi';

/** Builds the feature server (used by main.ts and by the tests). */
export async function createApp(
  logger?: LoggerService,
  config = loadConfig(),
): Promise<NestFastifyApplication> {
  const { http } = config;
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    // The client's address (per-address login limits) from the proxies' X-Forwarded-For only.
    new FastifyAdapter({ bodyLimit: http.maxBodyBytes, trustProxy: http.trustedProxies }),
    { logger: logger ?? serviceLogger('feature-server', config.logLevel) },
  );
  useJsonBodyLimits(app, { maxBytes: http.maxBodyBytes, maxDepth: http.maxJsonDepth });
  const fastify = app.getHttpAdapter().getInstance();
  // First: the hook that decides whether a request is traced runs before the others.
  const { endpoint, servingSampleRatio } = config.tracing;
  traceFastifyRequests(fastify, { endpoint, sampleRatio: servingSampleRatio });
  app.get(ServingMetrics).attach(fastify);
  app.get(EntityReadLane).attach(fastify);
  app.enableShutdownHooks();
  serveOpenApiDocument(app, featureServerDocument(app));
  return app;
}
