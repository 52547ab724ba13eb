/**
 * What the Python client's tests (clients/python/tests) need from the running stack, printed as
 * one JSON line: a reader user (created now), an API key of the control plane, and a value of
 * every feature for one product id written to the online store. `--remove <email>` removes the
 * user again. Run with `node -r ./bin/register test/support/python-client-fixture.ts`.
 */
import { randomBytes, randomUUID } from 'crypto';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { loadConfig } from '@fstore/config';
import { FEATURES } from '@fstore/contracts';
import { createControlApiKey } from '@fstore/control-store';
import { RedisClusterOnlineStore } from '@fstore/online-store';

async function main(): Promise<void> {
  const config = loadConfig();
  const pool = new Pool({ ...config.postgres, max: 1 });
  try {
    const users = new UsersRepository(pool);
    if (process.argv[2] === '--remove') {
      await users.remove(process.argv[3]);
      return;
    }
    const run = randomBytes(4).toString('hex');
    // One value each (time windows keep tiles instead: not this fixture's subject).
    const plainProductFeatures = FEATURES.filter((f) => f.entity === 'product' && !f.tiles);
    const email = `python-client-${run}@example.com`;
    const password = `${randomUUID()}-Aa1`;
    const product = `py-${run}`;
    await users.upsert(email, password, 'reader');
    const apiKey = await createControlApiKey(config, `python-client-${run}`, 'viewer');
    const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
    try {
      await store.write(
        plainProductFeatures.map((f, i) => ({
          feature: f.name,
          keyParts: [product],
          value: i + 1, // integers: every feature type holds them
          eventTime: Date.UTC(2026, 0, 1),
        })),
      );
    } finally {
      await store.close();
    }
    const features = plainProductFeatures.map((f) => f.name);
    console.log(
      JSON.stringify({
        serving_url: config.serving.url,
        control_url: config.control.url,
        api_key: apiKey,
        email,
        password,
        product,
        features,
      }),
    );
  } finally {
    await pool.end();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
