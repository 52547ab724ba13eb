import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { API_NAMES, committedDocument, lintDocument } from './api-documents';

// The generator and the validator (prettier, swagger-parser) are ES modules, which jest's
// CommonJS runtime cannot load: they run as the command CI runs.
const fstore = (...args: string[]) =>
  spawnSync('node', ['bin/fstore.js', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });

describe('the OpenAPI documents (docs/openapi/) and the client types generated from them', () => {
  jest.setTimeout(120000);

  it('are valid OpenAPI 3.1 and what the apps give now (else: run `fstore openapi`)', () => {
    const run = fstore('openapi', '--check');
    expect(run.stderr).toContain('docs/openapi/feature-server.json: valid OpenAPI 3.1.0');
    expect(run.stderr).toContain('docs/openapi/control-plane.json: valid OpenAPI 3.1.0');
    expect(run.stderr).not.toContain('differs from what the apps give');
    expect(run.status).toBe(0);
  });

  it.each(API_NAMES)('%s: a schema for every answer, ErrorBody for every error', (api) => {
    const doc = committedDocument(api);
    expect(doc.openapi).toBe('3.1.0');
    expect(lintDocument(doc)).toEqual([]);
  });

  it('the validator and the rules catch a dangling $ref, an answer without schema, a code not registered or of another status', () => {
    type Responses = Record<string, { content?: Record<string, { schema: object }> }>;
    const doc = structuredClone(committedDocument('feature-server')) as {
      paths: Record<string, Record<string, { responses: Responses }>>;
    };
    const batch = doc.paths['/v1/features/batch'].post;
    batch.responses['200'].content!['application/json'].schema = {
      $ref: '#/components/schemas/NoSuchDto',
    };
    delete batch.responses['401'].content;
    const enumOf = (status: string) =>
      (
        batch.responses[status].content!['application/json'].schema as {
          allOf: { properties?: { error_code: { enum: number[] } } }[];
        }
      ).allOf[1].properties!.error_code.enum;
    enumOf('413').push(1404, 4242);
    expect(lintDocument(doc)).toEqual([
      '$ref to undefined schema NoSuchDto',
      'POST /v1/features/batch 401: no schema',
      'POST /v1/features/batch 413: error_code 1404 is a 404 answer',
      'POST /v1/features/batch 413: error_code 4242 is not in the error registry',
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'openapi-')), 'broken.json');
    writeFileSync(file, JSON.stringify(doc));
    const run = fstore('openapi', '--validate', file);
    expect(run.stderr).toMatch(/NoSuchDto/);
    expect(run.status).toBe(1);
  });
});
