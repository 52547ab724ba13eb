import { FstoreConfig, loadConfig } from '@fstore/config';
import { LivyBatchesClient, LivyRequestError } from '@fstore/livy';

// Issue 20, finding 2: another process on the host (e.g. nginx's unprivileged workers) reached
// the engines' HTTP APIs with no credential at all. Now Livy wants a bearer token on every request
// (stack/livy/auth/BearerTokenFilter.java), which only the stack's secrets file holds.
const config: FstoreConfig = loadConfig();

describe('Livy authenticates every request (issue 20, finding 2)', () => {
  const batches = `${config.livy.url}/batches`;
  const submission = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-by': 'attacker' },
    body: JSON.stringify({ file: '/etc/os-release' }),
  };

  it('refuses a request without a token with 401 before Livy sees it (GET and POST)', async () => {
    const list = await fetch(batches);
    expect(list.status).toBe(401);
    expect(list.headers.get('www-authenticate')).toBe('Bearer realm="livy"');
    expect(await list.json()).toEqual({ msg: 'Authorization: Bearer <token> is required' });
    const submit = await fetch(batches, submission);
    expect(submit.status).toBe(401);
    const version = await fetch(`${config.livy.url}/version`);
    expect(version.status).toBe(401);
  });

  it('refuses a wrong token, one of the right length, and another scheme with 401', async () => {
    const token = config.livy.token ?? '';
    expect(token.length).toBeGreaterThanOrEqual(16);
    const flipped = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    for (const authorization of [
      'Bearer wrong',
      `Bearer ${flipped}`,
      `Basic ${Buffer.from(`fstore:${token}`).toString('base64')}`,
      token,
    ]) {
      const res = await fetch(batches, {
        ...submission,
        headers: { ...submission.headers, authorization },
      });
      expect([authorization, res.status]).toEqual([authorization, 401]);
      expect(await res.json()).toEqual({ msg: 'the bearer token is not valid' });
    }
    const client = new LivyBatchesClient(config.livy.url, undefined, 'not-the-token');
    const err = await client.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LivyRequestError);
    expect((err as LivyRequestError).status).toBe(401);
  });

  it('with the token, CSRF protection still applies and the stack client works', async () => {
    const authorization = `Bearer ${config.livy.token}`;
    const noCsrfHeader = await fetch(batches, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ file: '/etc/os-release' }),
    });
    expect(noCsrfHeader.status).toBe(400);
    expect(await noCsrfHeader.text()).toContain('Missing Required Header for CSRF protection.');
    const list = await fetch(batches, { headers: { authorization } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { from: number; total: number; sessions: unknown[] };
    expect(body.from).toBe(0);
    expect(body.sessions).toHaveLength(body.total);
    const batchesSeen = await LivyBatchesClient.fromConfig(config).list();
    expect(batchesSeen).toHaveLength(body.total);
  });
});
