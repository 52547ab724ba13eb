import { randomBytes, randomUUID } from 'crypto';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { ApiError, ControlPlaneClient, FeatureServerClient } from '@fstore/client';
import { loadConfig } from '@fstore/config';
import { featureKey } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';

// The TypeScript client against the running feature server and control plane.
const config = loadConfig();
const run = randomBytes(4).toString('hex');
const email = `client-${run}@example.com`;
const password = `${randomUUID()}-Aa1`;
const product = `client-${run}`;
const pool = new Pool(config.postgres);

beforeAll(async () => {
  const users = new UsersRepository(pool);
  await users.upsert(email, password, 'reader');
  const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
  try {
    await store.write([{ feature: 'units_sold', keyParts: [product], value: 42, eventTime: 1 }]);
  } finally {
    await store.close();
  }
});

afterAll(async () => {
  await new UsersRepository(pool).remove(email);
  await pool.end();
});

describe('FeatureServerClient', () => {
  it('logs in, reads one entity and a batch, refreshes a refused token, logs out', async () => {
    const client = await FeatureServerClient.login(
      { baseUrl: config.serving.url },
      email,
      password,
    );
    const batch = await client.getOnlineFeatures(
      'product',
      [product, `${product}-x`],
      ['units_sold'],
    );
    expect(batch.results).toEqual([
      {
        entity: 'product',
        id: product,
        features: {
          units_sold: { value: 42, event_time: '1970-01-01T00:00:00.001Z', stale: true },
        },
      },
      { entity: 'product', id: `${product}-x`, features: { units_sold: null } },
    ]);
    expect((await client.getFeatures('product', product)).features.units_sold?.value).toBe(42);
    await expect(client.getFeatures('product', `${product}-x`)).rejects.toMatchObject({
      status: 404,
      errorCode: 2000,
    });
    const invalid = await client.getOnlineFeatures('product', [product], ['no_such_feature']).then(
      () => undefined,
      (e: unknown) => e as ApiError,
    );
    expect(invalid).toBeInstanceOf(ApiError);
    expect(invalid).toMatchObject({ status: 400, errorCode: 1000 });
    expect(invalid?.errorDetail?.[0].loc).toEqual(['body', 'features']);

    // An access token that is refused is renewed once with the refresh token.
    const tokens = await client.refresh();
    const stale = new FeatureServerClient({
      baseUrl: config.serving.url,
      accessToken: 'not-a-token',
      refreshToken: tokens.refresh_token,
    });
    expect((await stale.getFeatures('product', product)).id).toBe(product);
    await stale.logout();
    await expect(stale.getFeatures('product', product)).rejects.toMatchObject({
      status: 401,
      errorCode: 1200,
    });
  });

  it('a wrong password is an ApiError 401 with error_code 1200', async () => {
    await expect(
      FeatureServerClient.login({ baseUrl: config.serving.url }, email, 'wrong-password'),
    ).rejects.toMatchObject({ status: 401, errorCode: 1200 });
  });
});

describe('ControlPlaneClient', () => {
  const client = new ControlPlaneClient({
    baseUrl: config.control.url,
    apiKey: config.control.apiKey!,
  });

  it('reads features, jobs, deployments, runs', async () => {
    const features = await client.listFeatures();
    expect(features.map((f) => f.name)).toContain('units_sold');
    const detail = await client.getFeature('units_sold', product);
    expect([detail.value, detail.key]).toEqual([42, featureKey('units_sold', [product])]);
    expect(Array.isArray(await client.listJobs())).toBe(true);
    expect(Array.isArray(await client.listDeployments({ live: true }))).toBe(true);
    expect(Array.isArray(await client.listRuns({ limit: 5 }))).toBe(true);
    expect((await client.ready()).status).toBe('ready');
  });

  it('errors carry error_code: unknown operation 404, unknown key 401', async () => {
    await expect(client.getOperation(randomUUID())).rejects.toMatchObject({
      status: 404,
      errorCode: 1404,
    });
    const stranger = new ControlPlaneClient({ baseUrl: config.control.url, apiKey: 'nope' });
    await expect(stranger.listJobs()).rejects.toMatchObject({ status: 401, errorCode: 1200 });
  });
});
