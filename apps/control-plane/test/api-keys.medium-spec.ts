import { ApiKeyEntity, createApiKey, openDatabase } from '@fstore/control-store';
import { Harness } from './harness';

// Issue 20, finding 9: API keys can be listed and revoked by an admin, and may expire; a revoked
// or expired key is refused at its next request, and the revocation is audited.
const h = new Harness();

beforeAll(() => h.start());
afterAll(() => h.stop([]));

async function keyWith(name: string, expiresAt: Date | null): Promise<{ id: string; key: string }> {
  const db = await openDatabase(h.config, h.schema);
  try {
    return await createApiKey(db.getRepository(ApiKeyEntity), name, 'viewer', expiresAt);
  } finally {
    await db.destroy();
  }
}

it('an admin lists keys (never the key or its hash) and revokes one: it is refused at once', async () => {
  const victim = await keyWith('to-revoke', null);
  expect((await h.call('GET', '/v1/jobs', { key: victim.key })).status).toBe(200);

  const list = await h.call('GET', '/v1/apikeys', { key: h.keys.admin });
  expect(list.status).toBe(200);
  const row = list.body.keys.find((k: { id: string }) => k.id === victim.id);
  expect(row).toMatchObject({ name: 'to-revoke', role: 'viewer', usable: true, revoked_at: null });
  expect(row.prefix).toBe(victim.key.slice(0, 10));
  expect(JSON.stringify(list.body)).not.toContain(victim.key);
  expect(Object.keys(row)).not.toContain('key_hash');

  const revoked = await h.call('POST', `/v1/apikeys/${victim.id}/revoke`, { key: h.keys.admin });
  expect(revoked.status).toBe(200);
  expect(revoked.body).toMatchObject({ id: victim.id, usable: false });
  expect(revoked.body.revoked_at).not.toBeNull();
  expect((await h.call('GET', '/v1/jobs', { key: victim.key })).status).toBe(401);

  const audit = await h.call('GET', `/v1/audit?target=apikey:${victim.id}`, { key: h.keys.admin });
  expect(audit.body.entries[0]).toMatchObject({ action: 'apikey.revoke', actor: 'key:test-admin' });
});

it('an expired key is refused; one not yet expired works', async () => {
  const expired = await keyWith('expired', new Date(Date.now() - 1000));
  const valid = await keyWith('valid', new Date(Date.now() + 3_600_000));
  expect((await h.call('GET', '/v1/jobs', { key: expired.key })).status).toBe(401);
  expect((await h.call('GET', '/v1/jobs', { key: valid.key })).status).toBe(200);
});

it('only an admin may list or revoke keys; an unknown id is 404', async () => {
  for (const role of ['operator', 'viewer'] as const) {
    expect((await h.call('GET', '/v1/apikeys', { key: h.keys[role] })).status).toBe(403);
  }
  const missing = await h.call('POST', '/v1/apikeys/00000000-0000-4000-8000-000000000000/revoke', {
    key: h.keys.admin,
  });
  expect(missing.status).toBe(404);
  const bad = await h.call('POST', '/v1/apikeys/not-a-uuid/revoke', { key: h.keys.admin });
  expect(bad.status).toBe(400);
});
