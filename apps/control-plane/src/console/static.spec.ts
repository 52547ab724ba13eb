import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CONSOLE_CSP, serveConsole } from './static';

@Module({})
class EmptyModule {}

// The console's files through a real Nest/Fastify app: the CSP and the other headers on every file.
describe('serveConsole', () => {
  let dir: string;
  let app: NestFastifyApplication;
  const logged: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><script type="module" src="app.js"></script>',
    );
    writeFileSync(join(dir, 'app.js'), 'export {};');
    app = await NestFactory.create<NestFastifyApplication>(EmptyModule, new FastifyAdapter(), {
      logger: false,
    });
    serveConsole(app, (m) => logged.push(m), dir);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  it('serves index.html and the bundle under /console/ with a strict Content-Security-Policy', async () => {
    for (const [url, type] of [
      ['/console/', /text\/html/],
      ['/console/app.js', /javascript/],
    ] as const) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(CONSOLE_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(logged).toEqual([]);
  });

  it('redirects /console to /console/ and answers 404 for a file it does not have', async () => {
    const redirect = await get('/console');
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/console/');
    expect((await get('/console/../package.json')).statusCode).toBe(404);
    expect((await get('/console/nope.js')).statusCode).toBe(404);
  });
});
