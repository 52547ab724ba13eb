import { ApiKeyEntity, hashApiKey } from '@fstore/control-store';
import { TypeOrmApiKeysRepository } from '../src/auth/api-keys.repository';
import { ThrowAwaySchema } from './pg-schema';

// TypeOrmApiKeysRepository against PostgreSQL (issue 22): only the hash stored, revoked keys not
// found by hash or id, newest first.
const pg = new ThrowAwaySchema();
let keys: TypeOrmApiKeysRepository;

beforeAll(async () => {
  await pg.start();
  keys = new TypeOrmApiKeysRepository(pg.db);
});
afterAll(() => pg.stop());

it('creates a key (its hash stored, never the key) and finds it by hash and by id', async () => {
  const { id, key } = await keys.create('alice', 'operator');
  const row = await keys.get(id);
  expect(row).toMatchObject({
    id,
    name: 'alice',
    role: 'operator',
    prefix: key.slice(0, 10),
    keyHash: hashApiKey(key),
    revokedAt: null,
    expiresAt: null,
  });
  expect(JSON.stringify(await pg.db.getRepository(ApiKeyEntity).find())).not.toContain(key);
  expect((await keys.unrevokedByHash(hashApiKey(key)))?.id).toBe(id);
  expect((await keys.unrevokedById(id))?.id).toBe(id);
});

it('a revoked key is not found by hash or id, but still listed', async () => {
  const { id, key } = await keys.create('bob', 'viewer');
  const at = new Date('2026-01-02T03:04:05Z');
  await keys.setRevokedAt(id, at);
  expect(await keys.unrevokedByHash(hashApiKey(key))).toBeNull();
  expect(await keys.unrevokedById(id)).toBeNull();
  expect(await keys.get(id)).toMatchObject({ revokedAt: at });
  const listed = await keys.list();
  expect(listed.map((k) => k.id)).toContain(id);
  const times = listed.map((k) => k.createdAt.getTime());
  expect(times).toEqual([...times].sort((a, b) => b - a));
});
