import { readFileSync } from 'fs';
import { join } from 'path';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { OpenAPIObject } from '@nestjs/swagger';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { buildOpenApiDocument } from '@fstore/rest-api';
import { AppModule } from './app.module';

const INFO = {
  title: 'fstore control plane',
  description:
    'Jobs and immutable versions, Flink deployments (deploy/pause/resume/upgrade/recover/cancel), ' +
    'Spark batch runs, features and their freshness, audit. Mutations are asynchronous: ' +
    '202 with an operation id (GET /v1/operations/{id}); send an Idempotency-Key. Every error ' +
    'answers {error_code, error_message, error_detail} (ErrorBody).',
  version: (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version,
  bearer: { description: 'API key (fstore apikeys create); X-API-Key: <key> works too' },
};

/** The control plane's OpenAPI document, from the app's routes. */
export const controlPlaneDocument = (app: INestApplication): OpenAPIObject =>
  buildOpenApiDocument(app, INFO);

/** The document without a running app or any connection (docs/openapi/, its drift test). */
export async function generateControlPlaneDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(
    AppModule.forRoot({ worker: false, reconciler: false, config: loadConfig() }),
    new FastifyAdapter(),
    { preview: true, logger: false },
  );
  try {
    return controlPlaneDocument(app);
  } finally {
    await app.close();
  }
}
