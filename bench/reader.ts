import { randomBytes } from 'crypto';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { FstoreConfig } from '@fstore/config';
import { FeatureServerClient } from '@fstore/client';
import { BenchError } from './serving/wrk';

/**
 * A benchmark's reader: the user (role reader, a random password, created or reset in PostgreSQL)
 * and, logged in through nginx, its feature-server client and access token (for wrk or raw HTTP).
 */
export async function createUserAndLogin(
  config: FstoreConfig,
  lbUrl: string,
  user: string,
): Promise<{ client: FeatureServerClient; token: string }> {
  const password = randomBytes(24).toString('base64url');
  const pool = new Pool({ ...config.postgres, max: 1 });
  try {
    const users = new UsersRepository(pool);
    await users.upsert(user, password, 'reader');
  } finally {
    await pool.end();
  }
  const client = new FeatureServerClient({ baseUrl: lbUrl });
  const { access_token } = await client.login(user, password);
  if (!access_token) throw new BenchError('login through nginx: no access_token');
  return { client, token: access_token };
}

/** Deletes a benchmark's user (its sessions go with it); whether it existed. */
export async function removeUser(config: FstoreConfig, user: string): Promise<boolean> {
  const pool = new Pool({ ...config.postgres, max: 1 });
  try {
    return await new UsersRepository(pool).remove(user);
  } finally {
    await pool.end();
  }
}
