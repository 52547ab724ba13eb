import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { loadConfig } from '@fstore/config';
import { useJsonBodyLimits } from '@fstore/rest-api';
import { AppModule } from './app.module';
import { EntityReadLane } from './features/entity-read.lane';
import { ServingMetrics } from './metrics/metrics';

/** Builds the feature server (used by main.ts and by the tests). */
export async function createApp(
  logger = new ConsoleLogger({ json: true }),
): Promise<NestFastifyApplication> {
  const { http } = loadConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    // The client's address (per-address login limits) from the proxies' X-Forwarded-For only.
    new FastifyAdapter({ bodyLimit: http.maxBodyBytes, trustProxy: http.trustedProxies }),
    { logger },
  );
  useJsonBodyLimits(app, { maxBytes: http.maxBodyBytes, maxDepth: http.maxJsonDepth });
  const fastify = app.getHttpAdapter().getInstance();
  app.get(ServingMetrics).attach(fastify);
  app.get(EntityReadLane).attach(fastify);
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle('fstore feature server')
    .setDescription('Online features from Redis Cluster; the original API under /api/v1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc));
  return app;
}
