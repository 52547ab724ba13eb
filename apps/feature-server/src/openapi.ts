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
  title: 'fstore feature server',
  description:
    'Online features from Redis Cluster; the original API under /api/v1. Every error answers ' +
    '{error_code, error_message, error_detail} (ErrorBody).',
  version: (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version,
  bearer: { description: 'access token from POST /api/auth/login' },
};

/** The feature server's OpenAPI document, from the app's routes. */
export const featureServerDocument = (app: INestApplication): OpenAPIObject =>
  buildOpenApiDocument(app, INFO);

/** The document without a running app or any connection (docs/openapi/, its drift test). */
export async function generateFeatureServerDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(loadConfig()), new FastifyAdapter(), {
    preview: true,
    logger: false,
  });
  try {
    return featureServerDocument(app);
  } finally {
    await app.close();
  }
}
