import { existsSync } from 'fs';
import { join } from 'path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PROJECT_ROOT } from '@fstore/config';

/** Where `fstore console build` writes the web console (apps/console). */
export const CONSOLE_DIR = join(PROJECT_ROOT, 'dist', 'console');
export const CONSOLE_PATH = '/console/';

/**
 * Only the console's own files run or load: no inline script or style, no other origin, no
 * framing. The console needs nothing else (its bundle and stylesheet, and this API).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * Serves the built console under /console/ with a strict Content-Security-Policy. Its files are
 * public (they hold no data); every API call they make needs a session. Without a build the path
 * answers 404 and the log says how to build it.
 */
export function serveConsole(
  app: NestFastifyApplication,
  log: (m: string) => void,
  dir = CONSOLE_DIR,
): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/console' || request.url.startsWith(CONSOLE_PATH)) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    }
    return payload;
  });
  if (!existsSync(join(dir, 'index.html'))) {
    log(`web console not built (${dir}): run \`fstore console build\``);
    return;
  }
  app.useStaticAssets({ root: dir, prefix: CONSOLE_PATH, index: ['index.html'] });
  // The app's relative URLs (app.js, styles.css) need the trailing slash.
  fastify.get('/console', (_request, reply) => reply.redirect(CONSOLE_PATH, 301));
}
