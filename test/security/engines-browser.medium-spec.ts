import { FstoreConfig, loadConfig } from '@fstore/config';
import { FlinkJobs } from '@fstore/flink';
import { LivyBatchesClient } from '@fstore/livy';
import { flinkRequest } from '../support/flink-https';

// Issue 20, findings 2 and 3, as far as the engines' own settings reach: a web page of another
// origin, open in a developer's browser, sends requests to the loopback engines. The JobManager
// and the SQL Gateway answer it with their web UI's origin only (never `*`), so the page can read
// nothing (not even a new session's handle, without which it cannot run a statement); the
// JobManager has no jar upload; Livy refuses a modifying request without X-Requested-By, which
// a page cannot send without a preflight. What the stack's clients do still works.
const config: FstoreConfig = loadConfig();
const EVIL = 'http://evil.example';
const uiOrigin = new URL(config.flink.restUrl).origin;

async function fromPage(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { origin: EVIL, ...(init.headers ?? {}) } });
}

describe('engines against a foreign web page (issue 20, findings 2 and 3)', () => {
  // The JobManager and the SQL Gateway want the stack's client certificate (which a page does not
  // have: engines-auth.medium-spec.ts); these requests present it, to show what a foreign origin
  // would still be answered if it had one.
  it('the JobManager answers a foreign origin with its own origin only, and has no jar upload', async () => {
    const res = await flinkRequest(config, `${config.flink.restUrl}/config`, {
      headers: { origin: EVIL },
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(uiOrigin);
    expect(uiOrigin).not.toBe(EVIL);
    for (const [method, path] of [
      ['GET', '/jars'],
      ['POST', '/jars/upload'],
    ]) {
      const jar = await flinkRequest(config, `${config.flink.restUrl}${path}`, {
        method,
        headers: { origin: EVIL },
      });
      expect([method, path, jar.status]).toEqual([method, path, 404]);
    }
  });

  it("a text/plain POST to the SQL Gateway gets an answer the page cannot read; the stack's client works", async () => {
    const res = await flinkRequest(config, `${config.flink.gatewayUrl}/v1/sessions`, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(res.headers['access-control-allow-origin']).toBe(uiOrigin);
    // The session it opened (a page could not learn its handle) is closed again here.
    if (res.status === 200) {
      const { sessionHandle } = JSON.parse(res.body) as { sessionHandle: string };
      await flinkRequest(config, `${config.flink.gatewayUrl}/v1/sessions/${sessionHandle}`, {
        method: 'DELETE',
      });
    }
    const info = await FlinkJobs.fromConfig(config).gateway.info();
    expect(info).toEqual(expect.objectContaining({ productName: 'Apache Flink' }));
  });

  it('Livy refuses a POST without X-Requested-By (CSRF protection); its client still lists batches', async () => {
    // Even with Livy's token (which a page does not have: engines-auth.medium-spec.ts), the CSRF
    // check holds.
    const authorization = `Bearer ${config.livy.token}`;
    const res = await fromPage(`${config.livy.url}/batches`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization },
      body: JSON.stringify({ file: '/etc/os-release' }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Missing Required Header for CSRF protection.');
    const list = await fromPage(`${config.livy.url}/batches`, { headers: { authorization } });
    expect(list.status).toBe(200);
    expect(list.headers.get('access-control-allow-origin')).toBeNull();
    expect(Array.isArray(await LivyBatchesClient.fromConfig(config).list())).toBe(true);
  });
});
