import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { connect as tcpConnect } from 'net';
import { connect as tlsConnect } from 'tls';
import { join } from 'path';
import { FstoreConfig, loadConfig } from '@fstore/config';
import { serviceUser } from '../../apps/cli/src/stack/service-user';
import { FlinkJobs, FlinkUnavailableError, JobManagerClient } from '@fstore/flink';
import { LivyBatchesClient, LivyRequestError } from '@fstore/livy';
import { flinkRequest } from '../support/flink-https';

// Issue 20, finding 2: another process on the host (e.g. nginx's unprivileged workers) reached
// the engines' HTTP APIs with no credential at all, and a SQL Gateway session wrote a root-owned
// file. Now the JobManager's REST API and the SQL Gateway speak TLS only and want a client
// certificate of their truststore (Flink's security.ssl.rest.authentication-enabled), and Livy
// wants a bearer token on every request (stack/livy/auth/BearerTokenFilter.java). The key and the
// token are files of the stack (mode 600) and its secrets file: only the control plane and the
// stack's own tools hold them.
const config: FstoreConfig = loadConfig();
const endpoints = [
  ['JobManager', config.flink.restUrl],
  ['SQL Gateway', config.flink.gatewayUrl],
] as const;
// What the attacker ran: open a session and run SQL in it.
const sessionPath = (url: string) =>
  url === config.flink.gatewayUrl ? '/v3/sessions' : '/jobs/overview';

/** A self-signed certificate and key of the attacker's own (not in Flink's truststore). */
function foreignIdentity(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fstore-foreign-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=fstore-flink-rest',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      cert: readFileSync(join(dir, 'c.pem'), 'utf8'),
      key: readFileSync(join(dir, 'k.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the JobManager and the SQL Gateway want a client certificate (issue 20, finding 2)', () => {
  it('their URLs are https', () => {
    for (const [, url] of endpoints) expect(url).toMatch(/^https:\/\//);
  });

  it.each(endpoints)(
    '%s: plain http gets only a redirect to https, nothing else',
    async (_name, url) => {
      const plain = url.replace(/^https:/, 'http:');
      const res = await fetch(`${plain}${sessionPath(url)}`, {
        method: url === config.flink.gatewayUrl ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json' },
        body: url === config.flink.gatewayUrl ? '{}' : undefined,
        redirect: 'manual',
      });
      expect(res.status).toBe(301);
      expect(res.headers.get('location')).toBe(`${url}${sessionPath(url)}`);
      expect(await res.text()).toBe('');
    },
  );

  it.each(endpoints)(
    '%s: https without a client certificate fails the TLS handshake',
    async (_name, url) => {
      const err = await flinkRequest(config, `${url}${sessionPath(url)}`, {}, false).catch(
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      // (An Error of Node's realm, not jest's: its fields are checked, not its class.)
      expect((err as NodeJS.ErrnoException).code).toBe('EPROTO');
      expect((err as Error).message).toMatch(/sslv3 alert bad certificate/);
    },
  );

  it.each(endpoints)(
    '%s: a certificate Flink does not trust fails the handshake too',
    async (_name, url) => {
      const ca = readFileSync(config.flink.tls.caFile, 'utf8');
      const err = await flinkRequest(
        config,
        `${url}${sessionPath(url)}`,
        {},
        {
          ca,
          ...foreignIdentity(),
        },
      ).catch((e: unknown) => e as NodeJS.ErrnoException);
      expect((err as NodeJS.ErrnoException).code).toBe('EPROTO');
      expect((err as Error).message).toMatch(/sslv3 alert certificate unknown/);
    },
  );

  it('the clients without the identity get FlinkUnavailableError; with it they work', async () => {
    const bare = new JobManagerClient(
      config.flink.restUrl,
      { timeoutMs: 3000, retries: 0, backoffMs: 0 },
      { ca: readFileSync(config.flink.tls.caFile, 'utf8'), cert: '', key: '' },
    );
    const refused = await bare.overview().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FlinkUnavailableError);
    expect((refused as Error).message).toMatch(/GET \/overview: EPROTO/);

    const flink = FlinkJobs.fromConfig(config);
    expect((await flink.jobManager.overview())['slots-total']).toBeGreaterThanOrEqual(
      config.flink.taskSlots,
    );
    const session = await flink.gateway.openSession({ name: 'engines-auth' });
    try {
      const result = await flink.gateway.execute(session, 'SELECT 40 + 2 AS answer');
      expect(result.rows).toEqual([[42]]);
    } finally {
      await flink.gateway.closeSession(session);
    }
  });
});

/** What a client sees of a port: whether a TLS handshake it starts completes, and what it reads. */
async function probe(
  port: number,
  how: 'plain' | { cert?: string; key?: string },
  send: Buffer,
): Promise<{ handshake: boolean; received: Buffer; error?: string }> {
  return new Promise((resolve) => {
    let handshake = false;
    let received = Buffer.alloc(0);
    let error: string | undefined;
    const socket =
      how === 'plain'
        ? tcpConnect({ host: config.host, port }, () => socket.write(send))
        : tlsConnect({ host: config.host, port, rejectUnauthorized: false, ...how }, () => {
            handshake = true;
            socket.write(send);
          });
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    socket.on('error', (e: Error) => (error = e.message));
    // Flink answers a blob request at once; 3 s of silence is a refusal too.
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ handshake, received, error });
    });
  });
}

describe('Flink RPC, blobs and data exchange want the internal key (issue 20, finding 2)', () => {
  const tlsDir = join(config.stackDir, 'tls', 'flink');
  const identity = (purpose: string) => ({
    cert: readFileSync(join(tlsDir, `${purpose}.crt`), 'utf8'),
    key: readFileSync(join(tlsDir, `${purpose}.key`), 'utf8'),
  });
  // The blob protocol's first byte: 0 = PUT, 1 = GET; then a job id / blob key would follow.
  const blobGet = Buffer.from([1, 0, 0, 0, 0]);
  const ports = [
    ['RPC', config.flink.rpcPort],
    ['blob server', config.flink.blobPort],
  ] as const;

  it.each(ports)('%s: a plain-text request gets no answer', async (_name, port) => {
    const seen = await probe(port, 'plain', blobGet);
    // At most a TLS alert record (content type 21), never a byte of Flink's protocols.
    if (seen.received.length > 0) expect(seen.received[0]).toBe(21);
  });

  it.each(ports)(
    '%s: TLS without a certificate, with a foreign one or with the REST identity is refused',
    async (_name, port) => {
      for (const how of [{}, foreignIdentity(), identity('rest')]) {
        const seen = await probe(port, how, blobGet);
        expect([seen.received.length, seen.error]).toEqual([0, expect.stringMatching(/alert/)]);
      }
    },
  );

  it('the blob server completes a handshake with the internal identity (the refusals above are the key)', async () => {
    const seen = await probe(config.flink.blobPort, identity('internal'), Buffer.alloc(0));
    expect(seen.handshake).toBe(true);
    expect(seen.error).toBeUndefined();
  });
});

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

describe('the credentials are files only their owner reads', () => {
  it('the Flink key material, its config.yaml and Livy token file: 600, their folders 700', () => {
    // When root runs the stack, the processes run as the service user: these files are root's,
    // their group the service user's, 640, folders 750 (docs/security.md): the processes read
    // them, nobody else, and only root changes them.
    const user = serviceUser();
    const want = (dir: boolean) =>
      user
        ? { uid: 0, gid: user.gid, mode: dir ? '750' : '640' }
        : { uid: process.getuid!(), mode: dir ? '700' : '600' };
    const got = (f: string) => {
      const st = statSync(f);
      const mode = (st.mode & 0o777).toString(8);
      return user ? { f, uid: st.uid, gid: st.gid, mode } : { f, uid: st.uid, mode };
    };
    const tlsDir = join(config.stackDir, 'tls', 'flink');
    const files = [
      join(tlsDir, 'rest.key'),
      join(tlsDir, 'rest.crt'),
      join(tlsDir, 'rest.keystore.p12'),
      join(tlsDir, 'rest.truststore.p12'),
      join(tlsDir, 'internal.key'),
      join(tlsDir, 'internal.keystore.p12'),
      join(tlsDir, 'internal.truststore.p12'),
      join(config.stackDir, 'data', 'flink', 'conf', 'config.yaml'),
      join(config.stackDir, 'data', 'livy', 'conf', 'auth-token'),
    ];
    const dirs = [tlsDir, join(config.stackDir, 'data', 'flink', 'conf')];
    expect([...dirs, ...files].map(got)).toEqual([
      ...dirs.map((f) => ({ f, ...want(true) })),
      ...files.map((f) => ({ f, ...want(false) })),
    ]);
    expect(readFileSync(files[files.length - 1], 'utf8')).toBe(`${config.livy.token}\n`);
  });
});
