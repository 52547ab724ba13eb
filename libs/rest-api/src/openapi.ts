import { writeFileSync } from 'fs';
import { applyDecorators, INestApplication } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiResponse,
  DocumentBuilder,
  getSchemaPath,
  OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { ERRORS, ErrorEntry } from './error-registry';

/** One entry of error_detail: where (e.g. ['body', 'ids', 3]), what, and the rule's name. */
export class ErrorDetailDto {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    example: ['query', 'product_id'],
  })
  loc!: (string | number)[];
  @ApiProperty({ example: 'product_id must be shorter than or equal to 64 characters' })
  msg!: string;
  @ApiProperty({ example: 'value_error.maxLength' })
  type!: string;
}

/** The body of every error answer of both APIs (the original API's, docs/legacy-api.md). */
export class ErrorBody {
  @ApiProperty({ type: 'integer', example: 1000 }) error_code!: number;
  @ApiProperty({ example: 'Request validation error' }) error_message!: string;
  @ApiProperty({ type: [ErrorDetailDto], nullable: true }) error_detail!: ErrorDetailDto[] | null;
  @ApiProperty({
    required: false,
    format: 'uuid',
    description: 'only in a 500 (error_code 1999): the id of its log line, to report',
  })
  correlation_id?: string;
}

/** An error status a route can answer with: the error_codes it carries, and when. */
export interface ErrorResponse {
  codes: readonly number[];
  description: string;
}
export type ErrorResponses = Record<number, ErrorResponse>;

/**
 * The answers of registry entries (error-registry.ts), by status: each status with the entries'
 * codes and meanings. `description` replaces the meanings (a route's own words for when).
 */
export function documented(entries: readonly ErrorEntry[], description?: string): ErrorResponses {
  return errorResponses(
    ...entries.map((e) => ({
      [e.status]: { codes: [e.code], description: description ?? e.meaning },
    })),
  );
}

/** The error answers both APIs share. */
export const SHARED_ERRORS = {
  validation: documented([ERRORS.validation]),
  bodyTooLarge: documented([ERRORS.tooLarge]),
  unauthenticated: documented([ERRORS.notAuthenticated]),
  tooManyRequests: documented([ERRORS.tooManyRequests]),
  unhandled: documented([ERRORS.unhandled]),
} satisfies Record<string, ErrorResponses>;

/** Merges error responses; a status given twice carries the codes of both. */
export function errorResponses(...parts: ErrorResponses[]): ErrorResponses {
  const merged: Record<number, { codes: number[]; description: string }> = {};
  for (const part of parts) {
    for (const [status, r] of Object.entries(part)) {
      const had = merged[Number(status)];
      merged[Number(status)] = had
        ? {
            codes: [...new Set([...had.codes, ...r.codes])],
            description:
              had.description === r.description
                ? had.description
                : `${had.description}; ${r.description}`,
          }
        : { codes: [...r.codes], description: r.description };
    }
  }
  return merged;
}

/**
 * Documents the error answers of a route (or of every route of a controller): each status with
 * the ErrorBody schema whose error_code is one of the listed codes. A method's own entry for a
 * status replaces its controller's, so list every code of that status there.
 */
export function ApiErrors(...parts: ErrorResponses[]): MethodDecorator & ClassDecorator {
  const responses = errorResponses(...parts);
  return applyDecorators(
    ApiExtraModels(ErrorBody),
    ...Object.entries(responses).map(([status, r]) =>
      ApiResponse({
        status: Number(status),
        description: `${r.description} (error_code ${r.codes.join(', ')})`,
        schema: {
          allOf: [
            { $ref: getSchemaPath(ErrorBody) },
            { type: 'object', properties: { error_code: { type: 'integer', enum: [...r.codes] } } },
          ],
        },
      }),
    ),
  );
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The OpenAPI 3.0 schema idioms @nestjs/swagger writes, in OpenAPI 3.1 (JSON Schema 2020-12):
 * `nullable: true` becomes a union with null.
 */
function schemaTo31(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(schemaTo31);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = schemaTo31(value);
  if (out.nullable !== true) {
    delete out.nullable;
    return out;
  }
  delete out.nullable;
  if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    return out;
  }
  // A nullable reference or composition: either the schema or null.
  const { description, ...rest } = out;
  return {
    ...(description !== undefined ? { description } : {}),
    anyOf: [rest, { type: 'null' }],
  };
}

/** Schemas live under components.schemas and in media types and parameters of the paths. */
function documentTo31(doc: OpenAPIObject): OpenAPIObject {
  const walk = (node: Json, key?: string): Json => {
    if (key === 'schema') return schemaTo31(node);
    if (Array.isArray(node)) return node.map((n) => walk(n));
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
  };
  const paths = walk(doc.paths as unknown as Json) as unknown as OpenAPIObject['paths'];
  const schemas = Object.fromEntries(
    Object.entries(doc.components?.schemas ?? {}).map(([name, s]) => [
      name,
      schemaTo31(s as unknown as Json),
    ]),
  );
  return {
    ...doc,
    openapi: '3.1.0',
    paths,
    components: {
      ...doc.components,
      schemas: schemas as NonNullable<typeof doc.components>['schemas'],
    },
  };
}

/** Title, description and security scheme of an API document. */
export interface ApiDocumentInfo {
  title: string;
  description: string;
  version: string;
  bearer: { description: string };
}

/**
 * The API's OpenAPI 3.1 document, from its controllers' decorators: served at /docs and written
 * to docs/openapi/ (`fstore openapi`). It needs only the app's route metadata, so an app created
 * with `preview: true` (nothing connected) gives the same document as the running one.
 */
export function buildOpenApiDocument(app: INestApplication, info: ApiDocumentInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion(info.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: info.bearer.description })
    .build();
  return documentTo31(SwaggerModule.createDocument(app, config));
}

/** Serves the document (Swagger UI at /docs, JSON at /docs-json). */
export function serveOpenApiDocument(app: INestApplication, doc: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, () => doc);
}

/**
 * The body of an app's openapi.main.ts: writes the generated document, as JSON, to the file
 * named by the program's argument (`fstore openapi` runs it, since the CLI never imports another
 * app), then exits.
 */
export function writeOpenApiDocumentToArgument(generate: () => Promise<OpenAPIObject>): void {
  const [out] = process.argv.slice(2);
  if (!out) {
    console.error('usage: openapi.main.ts <output file>');
    process.exit(2);
  }
  generate().then(
    (doc) => {
      writeFileSync(out, JSON.stringify(doc));
      // Nothing was connected (preview mode), but a library's timer must not hold the process.
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}
