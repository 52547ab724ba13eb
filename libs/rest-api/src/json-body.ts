import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationFailed } from './errors';

export interface JsonBodyLimits {
  /** Largest body accepted, in bytes (more is 413, before anything is parsed). */
  maxBytes: number;
  /** Deepest nesting of arrays and objects accepted (deeper is 400, before JSON.parse). */
  maxDepth: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the JSON text nests arrays and objects deeper than `maxDepth`, by one pass over its
 * bytes that counts brackets outside strings. It does not judge syntax (JSON.parse does that
 * next); it only makes sure nothing recursive downstream — class-transformer, class-validator,
 * the response serializer — ever sees a structure deep enough to exhaust the stack: a
 * 400,000-deep array parses in ~200 ms and then overflows the stack in validation. UTF-8
 * continuation bytes are >= 0x80, so they never look like these ASCII characters.
 */
export function exceedsJsonDepth(body: Buffer | string, maxDepth: number): boolean {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

export const JsonTooDeep = (maxDepth: number) =>
  ValidationFailed([
    {
      loc: ['body'],
      msg: `JSON nested deeper than ${maxDepth} levels of arrays and objects`,
      type: 'value_error.json_depth',
    },
  ]);

/**
 * Replaces the app's JSON body parser with one that enforces `limits` before parsing: the size
 * by Fastify's bodyLimit (it stops reading at the limit), the depth by exceedsJsonDepth. Then
 * Fastify's own parser (prototype-poisoning checks) parses. Errors reach the app's ErrorFilter
 * through Nest's exception handler, so they carry the usual body. Call it before app.init().
 * Only application/json is registered (no form bodies: neither API takes one).
 */
export function useJsonBodyLimits(app: NestFastifyApplication, limits: JsonBodyLimits): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const parse = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser(
    'application/json',
    { bodyLimit: limits.maxBytes },
    (request: FastifyRequest, body: Buffer, done) => {
      // No body (a logout sent with a JSON content type): the route's validation judges that,
      // naming the missing fields, instead of a parse error.
      if (body.length < 16 && body.toString('latin1').trim() === '') {
        done(null, undefined);
        return;
      }
      if (exceedsJsonDepth(body, limits.maxDepth)) {
        done(JsonTooDeep(limits.maxDepth), undefined);
        return;
      }
      parse(request, body.toString('utf8'), done);
    },
  );
}
