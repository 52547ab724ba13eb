import { ChildProcess, spawn, spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { nginxConf, nginxTempModules } from './serving';

// The load balancer's per-address limit on login and refresh (issue 20, finding 5): the stack's
// own generated nginx.conf, run by the real nginx in front of a stand-in upstream that answers
// every request with 200, on ports of its own (the stack's nginx is not touched).
const RATE = 2;
let upstream: Server;
let nginx: ChildProcess;
let base = '';
const dir = mkdtempSync(join(tmpdir(), 'fstore-nginx-'));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const lbPort = await freePort();
  const config = loadConfig({
    FSTORE_SERVING_INSTANCE_PORTS: String(upstreamPort),
    FSTORE_SERVING_LB_PORT: String(lbPort),
    // Its stub_status listener too: the stack's nginx holds the configured one.
    FSTORE_NGINX_STATUS_PORT: String(await freePort()),
    FSTORE_SERVING_LB_AUTH_RATE: String(RATE),
  });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, nginxConf(config, dir, nginxTempModules()));
  expect(spawnSync('nginx', ['-t', '-q', '-p', dir, '-c', file]).status).toBe(0);
  nginx = spawn('nginx', ['-p', dir, '-c', file, '-g', 'daemon off;'], { stdio: 'ignore' });
  base = `http://127.0.0.1:${lbPort}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      await fetch(`${base}/health`);
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

afterAll(async () => {
  nginx?.kill('SIGQUIT');
  await new Promise((r) => upstream?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"email":"a@b.io","password":"x"}',
  });

describe('nginx in front of the feature servers', () => {
  it.each(['/api/auth/login', '/api/auth/refresh'])(
    'answers a burst on %s beyond the rate with 429, the API error body and Retry-After',
    async (path) => {
      const answers = [];
      for (let i = 0; i < 20; i++) answers.push(await post(path));
      const statuses = answers.map((a) => a.status);
      // burst = 4 x rate pass at once (plus what the rate refilled meanwhile); the rest is 429.
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4 * RATE);
      expect(statuses.filter((s) => s === 200).length).toBeLessThan(15);
      const refused = answers.find((a) => a.status === 429)!;
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('content-type')).toMatch(/application\/json/);
      expect(await refused.json()).toEqual({
        error_code: 1429,
        error_message: 'Too many login requests from this address; retry in 1 s',
        error_detail: null,
      });
      await new Promise((r) => setTimeout(r, 4500)); // the bucket (4 x rate) refills in 4 s
    },
  );

  it('does not limit the feature routes', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await fetch(`${base}/v1/features/product/p${i}`)).status).toBe(200);
    }
    expect((await post('/v1/features/batch')).status).toBe(200);
  });
});
