import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { join } from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { ConsoleLogger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { createApp } from '../src/app';
import { fstore } from '../../../test/support/cli';

// The attacks of issue 20 (findings 5, 6, 9) against the real feature server (in this process,
// over HTTP) on the real PostgreSQL and Redis Cluster: each is refused with status and body,
// and the legitimate path still works. Limits are set small so the test is quick; the client's
// address is given in X-Forwarded-For (the test connects from 127.0.0.1, a trusted proxy).
const LOCKOUT_SECONDS = 4;
Object.assign(process.env, {
  FSTORE_AUTH_LOGIN_MAX_FAILURES: '50',
  FSTORE_AUTH_LOGIN_IP_MAX_FAILURES: '60',
  FSTORE_AUTH_LOGIN_WINDOW_SECONDS: '600',
  FSTORE_AUTH_LOGIN_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
  FSTORE_AUTH_REVOCATION_CHECK_SECONDS: '1',
  FSTORE_HTTP_TRUSTED_PROXIES: '127.0.0.1',
});
const config = loadConfig();
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
const pool = new Pool({ ...config.postgres, max: 2 });
const users = new UsersRepository(pool);
const run = randomUUID().slice(0, 8);
const password = `pw-${randomUUID()}`;
const made: string[] = [];
let app: NestFastifyApplication;
let base: string;

// Response bodies are checked field by field against literal expectations.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Answer {
  status: number;
  body: Json;
  headers: Headers;
  ms: number;
}

async function call(
  path: string,
  opts: { body?: unknown; raw?: string; token?: string; from?: string; method?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.from) headers['x-forwarded-for'] = opts.from;
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, {
    method: opts.method ?? (opts.body !== undefined || opts.raw ? 'POST' : 'GET'),
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : undefined,
    headers: res.headers,
    ms: performance.now() - t0,
  };
}

const login = (email: string, pw: string, from?: string) =>
  call('/api/auth/login', { body: { email, password: pw }, from });

async function newUser(name: string): Promise<string> {
  const email = `${name}-${run}@example.com`;
  await users.upsert(email, password, 'reader');
  made.push(email);
  return email;
}

/** A product with one stored value, readable by any reader. */
const product = `p-sec-${run}`;

beforeAll(async () => {
  await store.write([
    { feature: 'units_sold', keyParts: [product], value: 3, eventTime: Date.now() },
  ]);
  app = await createApp(new ConsoleLogger({ logLevels: ['fatal'] }));
  await app.listen(0, config.host);
  base = await app.getUrl();
});

afterAll(async () => {
  await app?.close();
  for (const email of made) await users.remove(email);
  await store.close();
  await pool.end();
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('login limits (finding 5)', () => {
  it('refuses the 51st wrong login with 429 and Retry-After, then even the right password until the lockout ends', async () => {
    const email = await newUser('locked');
    const other = await newUser('bystander');
    // 50 wrong passwords, each from another address: the account's own limit counts them all.
    for (let i = 0; i < 50; i++) {
      const wrong = await login(email, `wrong-${i}`, `203.0.113.${i}`);
      expect([i, wrong.status, wrong.body.error_code]).toEqual([i, 401, 1200]);
    }
    const refused = await login(email, 'wrong-51', '203.0.113.200');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error_code: 1429,
      error_message: expect.stringMatching(
        /^Too many failed logins for this account; retry in \d+ s$/,
      ),
      error_detail: null,
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_SECONDS);

    const right = await login(email, password, '203.0.113.201');
    expect([right.status, right.body.error_code]).toEqual([429, 1429]);
    // Another account is not affected.
    expect((await login(other, password, '203.0.113.202')).status).toBe(200);

    await new Promise((r) => setTimeout(r, (LOCKOUT_SECONDS + 0.5) * 1000));
    const after = await login(email, password, '203.0.113.203');
    expect(after.status).toBe(200);
    expect(after.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: config.auth.accessTtlSeconds,
    });
  });

  it('refuses an address that sprays many accounts, not the others', async () => {
    const sprayer = '198.51.100.7';
    for (let i = 0; i < 60; i++) {
      const res = await login(`nobody-${i}-${run}@example.com`, 'guess-guess-guess', sprayer);
      expect([i, res.status]).toEqual([i, 401]);
    }
    const refused = await login(`nobody-x-${run}@example.com`, 'guess', sprayer);
    expect(refused.status).toBe(429);
    expect(refused.body.error_message).toMatch(/^Too many failed logins from this address/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const email = await newUser('elsewhere');
    expect((await login(email, password, '198.51.100.8')).status).toBe(200);
  });

  it('answers an unknown e-mail as slowly as a known one (no timing oracle)', async () => {
    const known = await newUser('timing');
    const known_ms: number[] = [];
    const unknown_ms: number[] = [];
    // Interleaved, so load on the machine hits both alike; each from its own address.
    for (let i = 0; i < 9; i++) {
      const k = await login(known, `wrong-${i}`, `192.0.2.${i}`);
      const u = await login(`ghost-${i}-${run}@example.com`, `wrong-${i}`, `192.0.2.${100 + i}`);
      expect([k.status, u.status]).toEqual([401, 401]);
      expect(u.body).toEqual(k.body);
      known_ms.push(k.ms);
      unknown_ms.push(u.ms);
    }
    const [k, u] = [median(known_ms), median(unknown_ms)];
    // Before: 71 ms against 3 ms. Now both run scrypt; lenient bounds for a loaded machine.
    expect(u).toBeGreaterThan(k * 0.5);
    expect(u).toBeLessThan(k * 2);
  });
});

describe('JSON limits (finding 6)', () => {
  const deepError = {
    error_code: 1000,
    error_message: 'Request validation error',
    error_detail: [
      {
        loc: ['body'],
        msg: `JSON nested deeper than ${config.http.maxJsonDepth} levels of arrays and objects`,
        type: 'value_error.json_depth',
      },
    ],
  };

  it('refuses a 400,000-deep login body with 400 before parsing, without stalling the server', async () => {
    const deep = '['.repeat(400000) + ']'.repeat(400000);
    await call('/health'); // warm
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const res = await call('/api/auth/login', { raw: deep });
    loop.disable();
    expect(res.status).toBe(400);
    expect(res.body).toEqual(deepError);
    expect(res.ms).toBeLessThan(2000);
    expect(loop.max / 1e6).toBeLessThan(200);
  });

  it('refuses deep nesting inside an authenticated batch body too; a normal batch still works', async () => {
    const email = await newUser('json');
    const { access_token: token } = (await login(email, password)).body;
    const nested = `{"entity":"product","ids":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect((await call('/v1/features/batch', { raw: nested, token })).body).toEqual(deepError);
    const ok = await call('/v1/features/batch', {
      token,
      body: { entity: 'product', ids: [product], features: ['units_sold'] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.results[0].features.units_sold.value).toBe(3);
    // Brackets inside a string are not nesting: a password of them is judged as a password.
    const bracketed = await login(email, '[[[[{{{{'.repeat(10));
    expect([bracketed.status, bracketed.body.error_code]).toEqual([401, 1200]);
    // An empty JSON body is no body: validation names the missing fields.
    const empty = await call('/api/auth/login', { raw: ' ', method: 'POST' });
    expect(empty.status).toBe(400);
    expect(empty.body.error_detail.map((d: { loc: string[] }) => d.loc.join('.'))).toEqual(
      expect.arrayContaining(['body.email', 'body.password']),
    );
    const big = await call('/v1/features/batch', {
      token,
      raw: `{"ids":"${'x'.repeat(1100000)}"}`,
    });
    expect([big.status, big.body.error_code]).toEqual([413, 1002]);
  });
});

describe('tokens and sessions (finding 9)', () => {
  it("a removed user's tokens stop working (fstore users remove)", async () => {
    const email = await newUser('removed');
    const { access_token: token, refresh_token } = (await login(email, password)).body;
    expect((await call(`/v1/features/product/${product}`, { token })).status).toBe(200);
    const removed = fstore('users', 'remove', email);
    expect([removed.status, removed.stderr]).toEqual([0, expect.stringContaining('removed')]);
    await new Promise((r) => setTimeout(r, (config.auth.revocationCheckSeconds + 0.2) * 1000));
    // The hot lane (GET), the Nest route (batch) and refresh all refuse it.
    const read = await call(`/v1/features/product/${product}`, { token });
    expect(read).toMatchObject({
      status: 401,
      body: {
        error_code: 1200,
        error_message: 'Not authenticated: the session has ended (logged out or user removed)',
        error_detail: null,
      },
    });
    const batch = await call('/v1/features/batch', {
      token,
      body: { entity: 'product', ids: [product] },
    });
    expect(batch.status).toBe(401);
    expect((await call('/api/auth/refresh', { body: { refresh_token } })).status).toBe(401);
    expect((await login(email, password)).status).toBe(401);
    expect(fstore('users', 'remove', email).stderr).toMatch(/no user/);
  });

  it('a refresh token works once; its reuse is refused and ends the session', async () => {
    const email = await newUser('rotate');
    const first = (await login(email, password)).body;
    const second = await call('/api/auth/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    const reused = await call('/api/auth/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(reused.status).toBe(401);
    expect(reused.body).toEqual({
      error_code: 1200,
      error_message:
        'Not authenticated: refresh token already used; the session is ended, log in again',
      error_detail: null,
    });
    // Reuse means a copy is loose: the whole session ends, the legitimate holder's tokens too.
    expect(
      (await call('/api/auth/refresh', { body: { refresh_token: second.body.refresh_token } }))
        .status,
    ).toBe(401);
    expect(
      (await call(`/v1/features/product/${product}`, { token: second.body.access_token })).status,
    ).toBe(401);
    // A new login is a new session.
    expect((await login(email, password)).status).toBe(200);
  });

  it('logout ends the session: its access and refresh tokens are refused', async () => {
    const email = await newUser('logout');
    const pair = (await login(email, password)).body;
    const other = (await login(email, password)).body; // another device
    const out = await call('/api/auth/logout', { method: 'POST', token: pair.access_token });
    expect(out.status).toBe(204);
    expect(
      (await call(`/v1/features/product/${product}`, { token: pair.access_token })).status,
    ).toBe(401);
    expect(
      (await call('/api/auth/refresh', { body: { refresh_token: pair.refresh_token } })).status,
    ).toBe(401);
    expect((await call('/api/auth/logout', { method: 'POST' })).status).toBe(401);
    // The other session goes on.
    expect(
      (await call(`/v1/features/product/${product}`, { token: other.access_token })).status,
    ).toBe(200);
  });

  it('fstore users add refuses a common or trivial password, and says why', () => {
    const email = `weak-${run}@example.com`;
    for (const [weak, why] of [
      ['aaaaaaaaaaaa', /repeated|consecutive/],
      ['Password2024!', /too common/],
    ] as const) {
      const withPw = spawnAdd(email, weak);
      expect(withPw.status).toBe(1);
      expect(withPw.stderr).toMatch(why);
    }
  });
});

/** `fstore users add` with the password in its environment, as an operator would run it. */
function spawnAdd(email: string, pw: string) {
  const res = spawnSync(
    'node',
    [join(PROJECT_ROOT, 'bin/fstore.js'), 'users', 'add', email, '--role', 'reader'],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 120000,
      env: { ...process.env, FSTORE_NEW_USER_PASSWORD: pw },
    },
  );
  return { status: res.status, stderr: res.stderr };
}
