import calculateSlot from 'cluster-key-slot';
import { randomUUID } from 'crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConsoleLogger } from '@nestjs/common';
import { Pool } from 'pg';
import { TokenSigner, UsersRepository } from '@fstore/auth';
import { Redis } from 'ioredis';
import { loadConfig, redisCredentials } from '@fstore/config';
import { FEATURES, featureByName, featureKey } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { createApp } from '../src/app';
import { AuthGuard } from '../src/auth/auth.guard';
import { fstore, stopStackSupervisor } from '../../../test/support/cli';

// The real feature server (in this process, over HTTP) against the real Redis Cluster and
// PostgreSQL of the local stack. Each test writes the keys it reads, under fresh ids.
const config = loadConfig();
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
const pool = new Pool({ ...config.postgres, max: 2 });
const email = `reader-${randomUUID()}@example.com`;
const password = `pw-${randomUUID()}`;
let app: NestFastifyApplication;
let base: string;
let token: string;

// Response bodies are checked field by field against literal expectations.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function call(
  path: string,
  init: RequestInit & { auth?: string | null } = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const auth = init.auth === undefined ? token : init.auth;
  if (auth) headers.authorization = `Bearer ${auth}`;
  const res = await fetch(`${base}${path}`, { ...init, headers });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  const users = new UsersRepository(pool);
  await users.upsert(email, password, 'reader');
  app = await createApp(new ConsoleLogger({ logLevels: ['fatal'] }));
  await app.listen(0, config.host);
  base = await app.getUrl();
  const login = await call('/api/auth/login', {
    method: 'POST',
    auth: null,
    body: JSON.stringify({ email, password }),
  });
  expect(login.status).toBe(200);
  token = login.body.access_token;
});

afterAll(async () => {
  await app?.close();
  await store.close();
  await pool.end();
});

describe('the original API (docs/legacy-api.md)', () => {
  const now = Date.now();
  const c = `c-${randomUUID().slice(0, 8)}`;
  const p = `p-${randomUUID().slice(0, 8)}`;
  const cat = `Cat ${randomUUID().slice(0, 8)}`;
  const written = {
    avg_review: [[p], 3.4],
    last_purchase_amount: [[c], '129.90'],
    last_review: [[c, p], 4],
    revenue_category: [[cat], '812.25'],
    avg_review_rating: [[p], 2.75],
    revenue_by_category: [[cat], '100000.10'],
    revenue_by_product: [[p], '450.00'],
    units_sold: [[p], 17],
  } as const;

  beforeAll(async () => {
    await store.write(
      Object.entries(written).map(([feature, [keyParts, value]]) => ({
        feature,
        keyParts,
        value,
        eventTime: now,
      })),
    );
  });

  it.each([
    ['/api/v1/stream/review-rating-average', { product_id: p }, { avg_rating: 3.4 }],
    ['/api/v1/stream/customer-last-purchase-amount', { customer_id: c }, { amount: 129.9 }],
    [
      '/api/v1/stream/customer-last-product-review-rating',
      { customer_id: c, product_id: p },
      { rating: 4 },
    ],
    ['/api/v1/stream/total-revenue-by-category', { category: cat }, { revenue: 812.25 }],
    ['/api/v1/offline/average-product-review-rating', { product_id: p }, { avg_rating: 2.75 }],
    ['/api/v1/offline/category-revenue', { category: cat }, { revenue: 100000.1 }],
    ['/api/v1/offline/product-revenue', { product_id: p }, { revenue: 450 }],
    ['/api/v1/offline/sold-product-units', { product_id: p }, { units: 17 }],
  ])('%s answers the stored value', async (path, query, expected) => {
    const res = await call(`${path}?${new URLSearchParams(query)}`);
    expect(res).toEqual({ status: 200, body: expected });
  });

  it.each(
    FEATURES.flatMap((f) =>
      f.legacy ? [[f.legacy.path, f.legacy.notFoundCode, f.entity] as const] : [],
    ),
  )('%s answers 404 with code %i for an unknown id', async (path, code, entity) => {
    const query: Record<string, string> =
      entity === 'customer_product'
        ? { customer_id: 'nobody', product_id: 'nothing' }
        : entity === 'category'
          ? { category: 'no such category' }
          : { [`${entity}_id`]: 'unknown-id' };
    const res = await call(`${path}?${new URLSearchParams(query)}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error_code: code,
      error_message: expect.stringContaining('not found'),
      error_detail: null,
    });
  });

  it('answers 400 naming the missing parameter', async () => {
    const res = await call(`/api/v1/stream/customer-last-product-review-rating?customer_id=${c}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error_code: 1000,
      error_message: 'Request validation error',
      error_detail: [
        { loc: ['query', 'product_id'], msg: 'field required', type: 'value_error.missing' },
      ],
    });
  });

  it('answers 400 for an oversized id and for an unknown parameter', async () => {
    const long = await call(`/api/v1/offline/product-revenue?product_id=${'x'.repeat(65)}`);
    expect(long.status).toBe(400);
    expect(long.body.error_detail[0].loc).toEqual(['query', 'product_id']);
    const extra = await call(`/api/v1/offline/product-revenue?product_id=${p}&debug=1`);
    expect(extra.status).toBe(400);
    expect(extra.body.error_detail[0]).toMatchObject({ loc: ['query', 'debug'] });
  });

  it('answers the health check', async () => {
    expect(await call('/api/health-check', { auth: null })).toEqual({
      status: 200,
      body: { status: 'healthy' },
    });
  });
});

describe('authentication', () => {
  it('answers 401 without a token, with a forged token and with an expired one', async () => {
    const path = '/api/v1/offline/product-revenue?product_id=x';
    const missing = await call(path, { auth: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error_code: 1200, error_detail: null });
    expect(missing.body.error_message).toMatch(/missing Authorization header/);

    const forged = new TokenSigner('not-the-server-secret-at-all');
    const forgedToken = forged.sign(
      { sub: email, role: 'admin', kind: 'access', sid: randomUUID() },
      60,
    );
    expect((await call(path, { auth: forgedToken })).body.error_message).toMatch(/bad signature/);

    const real = new TokenSigner(config.auth.secret!);
    const expired = real.sign(
      { sub: email, role: 'reader', kind: 'access', sid: randomUUID() },
      60,
      Date.now() - 120000,
    );
    const res = await call(path, { auth: expired });
    expect(res.status).toBe(401);
    expect(res.body.error_message).toMatch(/expired/);

    const refreshAsAccess = real.sign(
      { sub: email, role: 'reader', kind: 'refresh', sid: randomUUID(), gen: 0 },
      60,
    );
    expect((await call(path, { auth: refreshAsAccess })).status).toBe(401);
  });

  it('checks the password, and refreshes tokens', async () => {
    const wrong = await call('/api/auth/login', {
      method: 'POST',
      auth: null,
      body: JSON.stringify({ email, password: 'not-the-password' }),
    });
    expect(wrong).toEqual({
      status: 401,
      body: {
        error_code: 1200,
        error_message: 'Not authenticated: wrong email or password',
        error_detail: null,
      },
    });
    const login = await call('/api/auth/login', {
      method: 'POST',
      auth: null,
      body: JSON.stringify({ email, password }),
    });
    const refreshed = await call('/api/auth/refresh', {
      method: 'POST',
      auth: null,
      body: JSON.stringify({ refresh_token: login.body.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    const ok = await call('/api/health-check', { auth: refreshed.body.access_token });
    expect(ok.status).toBe(200);
  });
});

describe('GET /v1/features/{entity}/{id} and POST /v1/features/batch', () => {
  const eventTime = Date.now() - 2 * 3600 * 1000; // older than the stream max age (1 h)

  it('answers every feature of an entity with its event time and staleness', async () => {
    const p = `p-${randomUUID()}`;
    // A time window's tile: the window the read covers comes with the value.
    const g = featureByName('units_sold_7d')!.tiles!.granularityMs;
    // The tile of the event (its event time inside it, as the stream job writes tiles), and the
    // window a read now covers (which ends at the tile of the read time).
    const tileEnd = Math.ceil(eventTime / g) * g;
    const windowEnd = Math.ceil(Date.now() / g) * g;
    await store.write([
      { feature: 'avg_review', keyParts: [p], value: 4.2, eventTime },
      { feature: 'units_sold', keyParts: [p], value: 3, eventTime },
      {
        feature: 'units_sold_7d',
        keyParts: [p],
        tile: { end: tileEnd, events: 2, aggregate: '5', eventTime },
      },
    ]);
    const res = await call(`/v1/features/product/${p}`);
    expect(res.status).toBe(200);
    const at = new Date(eventTime).toISOString();
    expect(res.body).toEqual({
      entity: 'product',
      id: p,
      features: {
        avg_rating_7d: null,
        avg_review: { value: 4.2, event_time: at, stale: true },
        avg_review_rating: null,
        revenue_by_product: null,
        units_sold: { value: 3, event_time: at, stale: false },
        units_sold_7d: {
          value: 5,
          event_time: at,
          stale: true,
          window: {
            start: new Date(windowEnd - 7 * 86_400_000).toISOString(),
            end: new Date(windowEnd).toISOString(),
          },
        },
      },
    });
    const some = await call(`/v1/features/product/${p}?names=units_sold`);
    expect(Object.keys(some.body.features)).toEqual(['units_sold']);
  });

  it('reads a composite entity by customer_id:product_id', async () => {
    const [c, p] = [`c-${randomUUID()}`, `p-${randomUUID()}`];
    await store.write([{ feature: 'last_review', keyParts: [c, p], value: 5, eventTime }]);
    const res = await call(`/v1/features/customer_product/${c}:${p}`);
    expect(res.body.features.last_review.value).toBe(5);
    const bad = await call(`/v1/features/customer_product/${c}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error_detail[0].loc).toEqual(['path', 'id']);
  });

  it('answers 404 for an entity with no value, 400 for an unknown entity or feature', async () => {
    const missing = await call(`/v1/features/customer/nobody-${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe(2000);
    const entity = await call('/v1/features/planet/earth');
    expect(entity.status).toBe(400);
    expect(entity.body.error_detail[0].loc).toEqual(['param', 'entity']);
    const foreign = await call('/v1/features/product/x?names=last_review');
    expect(foreign.status).toBe(400);
    expect(foreign.body.error_detail[0].msg).toMatch(/not features of product: last_review/);
  });

  it('answers valid reads from the hot lane and anything else through the Nest route', async () => {
    // Every request of the Nest route passes its guard; the lane's do not.
    const viaNest = jest.spyOn(AuthGuard.prototype, 'canActivate');
    try {
      const p = `p-${randomUUID()}`;
      await store.write([{ feature: 'units_sold', keyParts: [p], value: 8, eventTime }]);
      const at = new Date(eventTime).toISOString();
      expect(await call(`/v1/features/product/${p}?names=units_sold`)).toEqual({
        status: 200,
        body: {
          entity: 'product',
          id: p,
          features: { units_sold: { value: 8, event_time: at, stale: false } },
        },
      });
      const missing = await call(`/v1/features/product/nobody-${randomUUID()}`);
      expect([missing.status, missing.body.error_code]).toEqual([404, 2000]);
      // A valid name of another entity passes the DTO; the service refuses it in the lane.
      const foreign = await call(`/v1/features/product/${p}?names=last_review`);
      expect(foreign.status).toBe(400);
      expect(foreign.body.error_detail[0].loc).toEqual(['query', 'names']);
      expect(viaNest).not.toHaveBeenCalled();

      // Declined by the lane: the Nest route's guard and validation pipe answer as always.
      const anonymous = await call(`/v1/features/product/${p}`, { auth: null });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error_message).toMatch(/missing Authorization header/);
      const unknown = await call(`/v1/features/product/${p}?names=units_sold,bogus`);
      expect(unknown.status).toBe(400);
      expect(unknown.body.error_detail[0].loc).toEqual(['query', 'names']);
      const extra = await call(`/v1/features/product/${p}?x=1`);
      expect(extra.status).toBe(400);
      expect(extra.body.error_detail[0].loc).toEqual(['query', 'x']);
      expect(viaNest).toHaveBeenCalledTimes(3);
    } finally {
      viaNest.mockRestore();
    }
  });

  it('answers a batch of 1,000 entities spread over every slot owner, null where absent', async () => {
    const ids = Array.from({ length: 1000 }, () => `p-${randomUUID()}`);
    await store.write(
      ids
        .filter((_, i) => i % 2 === 0)
        .map((p, i) => ({ feature: 'units_sold', keyParts: [p], value: i, eventTime })),
    );
    const masters = new Set(
      ids.map((p) => store.client.slots[calculateSlot(featureKey('units_sold', [p]))][0]),
    );
    expect(masters.size).toBe(3);
    const res = await call('/v1/features/batch', {
      method: 'POST',
      body: JSON.stringify({ entity: 'product', ids, features: ['units_sold', 'avg_review'] }),
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(1000);
    res.body.results.forEach((r: { id: string; features: Record<string, unknown> }, i: number) => {
      expect(r.id).toBe(ids[i]);
      expect(r.features.avg_review).toBeNull();
      if (i % 2 === 0) expect(r.features.units_sold).toMatchObject({ value: i / 2 });
      else expect(r.features.units_sold).toBeNull();
    });
  });

  it('refuses an oversized batch with 413 and a clear body', async () => {
    const ids = Array.from({ length: config.serving.maxBatch + 1 }, (_, i) => `p${i}`);
    const res = await call('/v1/features/batch', {
      method: 'POST',
      body: JSON.stringify({ entity: 'product', ids }),
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error_code: 1002,
      error_message: `Batch of ${ids.length} entities exceeds the limit of ${config.serving.maxBatch}`,
      error_detail: [
        {
          loc: ['body', 'ids'],
          msg: `at most ${config.serving.maxBatch} ids per request`,
          type: 'value_error.too_large',
        },
      ],
    });
  });

  it('names each bad field of a batch body', async () => {
    const res = await call('/v1/features/batch', {
      method: 'POST',
      body: JSON.stringify({ entity: 'product', ids: [], features: ['nope'], extra: true }),
    });
    expect(res.status).toBe(400);
    const locs = res.body.error_detail.map((d: { loc: string[] }) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.extra', 'body.ids', 'body.features']));
  });
});

describe('when a Redis master is down', () => {
  /**
   * Each node's view of the slot map (ranges with their master's and replicas' ports) once they
   * all agree, the state is ok on every node and every master has a replica in sync: after a
   * failover or a restart the views differ for a while, and a victim picked from one of them may
   * not be the slot's master any more.
   */
  async function settledSlotMap(): Promise<[number, number, number, number[]][]> {
    const login = redisCredentials(config, 'fstore-admin');
    const deadline = Date.now() + 60000;
    let last = '';
    for (;;) {
      const views = await Promise.all(
        config.redis.clusterPorts.map(async (port) => {
          const node = new Redis({ host: config.redis.host, port, ...login, lazyConnect: true });
          try {
            await node.connect();
            const info = (await node.cluster('INFO')) as string;
            // A master's replica in sync (a restarted node resyncs before WAIT counts it).
            const replication = await node.info('replication');
            const synced = /role:master/.test(replication)
              ? /slave0:.*state=online/.test(replication)
              : /master_link_status:up/.test(replication);
            const ranges = await node.cluster('SLOTS');
            const map = ranges
              .map(([from, to, master, ...replicas]) => [
                from,
                to,
                master[1],
                replicas.map((r) => r[1]).sort(),
              ])
              .sort((x, y) => (x[0] as number) - (y[0] as number));
            return { ok: /cluster_state:ok/.test(info) && synced, map: JSON.stringify(map) };
          } catch (e) {
            return { ok: false, map: String(e) };
          } finally {
            node.disconnect();
          }
        }),
      );
      last = views.map((v) => v.map).join(' | ');
      const map = JSON.parse(views[0].ok ? views[0].map : '[]') as [
        number,
        number,
        number,
        number[],
      ][];
      const masters = new Set(map.map((r) => r[2]));
      if (
        views.every((v) => v.ok && v.map === views[0].map) &&
        masters.size === 3 &&
        map.every((r) => r[3].length > 0)
      ) {
        return map;
      }
      if (Date.now() > deadline) throw new Error(`the cluster did not settle: ${last}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** A master, its replica, and a product id whose slot the master owns (`prefix`-N). */
  async function victimWithProduct(prefix: string) {
    const map = await settledSlotMap();
    const [, , master, [replica]] = map[0];
    for (let i = 0; ; i++) {
      const p = `${prefix}-${i}`;
      const slot = calculateSlot(`{${p}}`);
      const range = map.find(([from, to]) => slot >= from && slot <= to)!;
      if (range[2] === master) return { victim: { port: master }, replica: { port: replica }, p };
    }
  }
  const pidOf = (port: number) =>
    Number(
      new RegExp(`redis-${port}\\s+(\\d+)`).exec(fstore('stack', 'status', 'redis').stdout)![1],
    );
  /** Back to normal for the tests after these: the cluster settled, the instance ready. */
  async function recovered() {
    expect(fstore('stack', 'up', 'redis').status).toBe(0);
    await settledSlotMap();
    const deadline = Date.now() + 30000;
    let last = 0;
    while (Date.now() < deadline) {
      last = (await call('/health/ready', { auth: null })).status;
      if (last === 200) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(last).toBe(200);
  }

  it('reports not ready and answers 503 promptly, then recovers', async () => {
    const { victim, replica, p } = await victimWithProduct('p-victim');

    // Master and replica both down: no failover can hide it, and no supervisor restarts them
    // before the reads (it restarted them within its 3 s checks in 2 of 4 runs: 404, not 503).
    await stopStackSupervisor();
    process.kill(pidOf(victim.port), 'SIGKILL');
    process.kill(pidOf(replica.port), 'SIGKILL');
    try {
      const ready = await call('/health/ready', { auth: null });
      expect(ready.status).toBe(503);
      expect(ready.body.error_code).toBe(1400);

      const t0 = Date.now();
      const res = await call(`/api/v1/offline/sold-product-units?product_id=${p}`);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        error_code: 1400,
        error_message: expect.stringMatching(/^Feature store unavailable: /),
      });
      const t1 = Date.now();
      const single = await call(`/v1/features/product/${p}`);
      expect(Date.now() - t1).toBeLessThan(3000);
      expect(single.status).toBe(503);
      expect(single.body.error_message).toMatch(/^Feature store unavailable: /);
    } finally {
      await recovered();
    }
    await store.write([{ feature: 'units_sold', keyParts: [p], value: 1, eventTime: Date.now() }]);
    const back = await call(`/api/v1/offline/sold-product-units?product_id=${p}`);
    expect(back).toEqual({ status: 200, body: { units: 1 } });
  });

  // Last of the file: the failover it causes changes which nodes are masters.
  it('answers reads of its slots from its replica until the cluster has failed over', async () => {
    const { victim, replica, p } = await victimWithProduct(
      `p-failover-${randomUUID().slice(0, 8)}`,
    );
    const others = Array.from({ length: 20 }, () => `p-${randomUUID()}`);
    const done = await store.writeAndWait(
      [p, ...others].map((id, i) => ({
        feature: 'units_sold',
        keyParts: [id],
        value: i + 5,
        eventTime: 1000,
      })),
      { replicas: 1, timeoutMs: 2000 },
    );
    expect(done.acks.every((a) => a.acknowledged === 1)).toBe(true);
    // The server has been reading (its connections are up) when the master goes.
    expect((await call(`/v1/features/product/${p}`)).status).toBe(200);
    await stopStackSupervisor();
    process.kill(pidOf(victim.port), 'SIGKILL');
    try {
      const [single, legacy, batch, ready] = await Promise.all([
        call(`/v1/features/product/${p}?names=units_sold`),
        call(`/api/v1/offline/sold-product-units?product_id=${p}`),
        call('/v1/features/batch', {
          method: 'POST',
          body: JSON.stringify({
            entity: 'product',
            ids: [p, ...others],
            features: ['units_sold'],
          }),
        }),
        call('/health/ready', { auth: null }),
      ]);
      // Answered before the cluster failed over (cluster-node-timeout 5 s): the replica was still
      // a replica after the last answer, so the answers were its own.
      const role = new Redis({
        host: config.redis.host,
        port: replica.port,
        ...redisCredentials(config, 'fstore-admin'),
      });
      try {
        expect(((await role.role()) as unknown[])[0]).toBe('slave');
      } finally {
        role.disconnect();
      }
      expect(single).toMatchObject({
        status: 200,
        body: { features: { units_sold: { value: 5 } } },
      });
      expect(legacy).toEqual({ status: 200, body: { units: 5 } });
      expect(batch.status).toBe(200);
      expect(batch.body.results.map((r: Json) => r.features.units_sold.value)).toEqual(
        [p, ...others].map((_, i) => i + 5),
      );
      expect(ready.status).toBe(200);
    } finally {
      await recovered();
    }
  });
});
