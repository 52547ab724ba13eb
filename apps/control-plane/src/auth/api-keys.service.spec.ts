import { Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { InMemoryControlStore } from '../store/in-memory';
import { ApiKeysService, Principal } from './api-keys.service';

// The services' logs are not what these tests look at.
beforeAll(() => Logger.overrideLogger(false));

// Which API keys authenticate, and revocation (issue 22), on the in-memory repositories.
const admin: Principal = { actor: 'key:test-admin', role: 'admin', keyId: 'k0' };

function setUp() {
  const store = new InMemoryControlStore();
  const keys = new ApiKeysService(store.apiKeys, new AuditService(store.audit));
  return { store, keys };
}

it('a usable key authenticates as its name and role, by key and by id', async () => {
  const { keys } = setUp();
  const { id, key } = await keys.create('alice', 'operator');
  const principal = { actor: 'key:alice', role: 'operator', keyId: id };
  expect(await keys.authenticate(key)).toEqual(principal);
  expect(await keys.authenticateById(id)).toEqual(principal);
  expect(await keys.authenticate(`${key}x`)).toBeUndefined();
});

it('an expired key does not authenticate; one not yet expired does', async () => {
  const { store, keys } = setUp();
  const expired = await store.apiKeys.createExpiring('old', 'viewer', new Date(Date.now() - 1000));
  const valid = await store.apiKeys.createExpiring('new', 'viewer', new Date(Date.now() + 60_000));
  expect(await keys.authenticate(expired.key)).toBeUndefined();
  expect(await keys.authenticateById(expired.id)).toBeUndefined();
  expect(await keys.authenticate(valid.key)).toMatchObject({ actor: 'key:new' });
});

it('revoking: refused at once, audited once; revoking again changes nothing', async () => {
  const { store, keys } = setUp();
  const { id, key } = await keys.create('bob', 'viewer');
  const revoked = await keys.revoke(id, admin);
  expect(revoked).toMatchObject({ id, name: 'bob' });
  const at = revoked!.revokedAt;
  expect(at).toBeInstanceOf(Date);
  expect(await keys.authenticate(key)).toBeUndefined();
  expect(await keys.authenticateById(id)).toBeUndefined();
  expect((await keys.revoke(id, admin))!.revokedAt).toEqual(at);
  expect(await store.audit.list({ target: `apikey:${id}`, limit: 10 })).toMatchObject([
    {
      actor: 'key:test-admin',
      action: 'apikey.revoke',
      outcome: 'succeeded',
      detail: { name: 'bob', role: 'viewer' },
    },
  ]);
  expect(await keys.revoke('00000000-0000-4000-8000-000000000000', admin)).toBeUndefined();
});

it('lists every key, newest first', async () => {
  const { keys } = setUp();
  await keys.create('first', 'viewer');
  await keys.create('second', 'admin');
  expect((await keys.list()).map((k) => k.name)).toEqual(['second', 'first']);
});
