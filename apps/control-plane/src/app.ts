import { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@fstore/config';
import { serviceLogger } from '@fstore/observability';
import { serveOpenApiDocument, useJsonBodyLimits } from '@fstore/rest-api';
import { AppModule, ControlPlaneOptions } from './app.module';
import { serveConsole } from './console/static';
import { ControlMetrics } from './metrics/metrics';
import { controlPlaneDocument } from './openapi';

const DEFAULTS = { worker: true, reconciler: true };

/** The control plane's HTTP app (with the worker and reconciler unless switched off). */
export async function createApp(
  options: Partial<ControlPlaneOptions> = {},
  logger?: LoggerService,
): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig();
  const { http } = config;
  logger ??= serviceLogger('control-plane', config.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ ...DEFAULTS, ...options, config }),
    new FastifyAdapter({ bodyLimit: http.maxBodyBytes, trustProxy: http.trustedProxies }),
    { logger },
  );
  useJsonBodyLimits(app, { maxBytes: http.maxBodyBytes, maxDepth: http.maxJsonDepth });
  app.get(ControlMetrics).attach(app.getHttpAdapter().getInstance());
  app.enableShutdownHooks();
  serveOpenApiDocument(app, controlPlaneDocument(app));
  serveConsole(app, (m) => logger.warn(m));
  return app;
}

/** A worker process without HTTP: executes operations and (optionally) reconciles. */
export async function createWorker(
  options: Partial<ControlPlaneOptions> = {},
  logger?: LoggerService,
): Promise<INestApplicationContext> {
  const config = options.config ?? loadConfig();
  const ctx = await NestFactory.createApplicationContext(
    AppModule.forRoot({ ...DEFAULTS, ...options, config }),
    { logger: logger ?? serviceLogger('control-plane', config.logLevel) },
  );
  ctx.enableShutdownHooks();
  return ctx;
}
