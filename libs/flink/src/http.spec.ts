import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { FlinkUnavailableError } from './errors';
import { FlinkHttp, HttpStatusError } from './http';

/** A server answering each request with the next scripted reply ('reset' drops the socket). */
async function scripted(
  replies: (number | 'reset')[],
): Promise<{ url: string; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((req, res) => {
    const reply = replies[Math.min(hits, replies.length - 1)];
    hits++;
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(reply === 200 ? { ok: true } : { errors: [`status ${reply}`] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits: () => hits, server };
}

const opts = { timeoutMs: 2000, retries: 3, backoffMs: 1 };
const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

describe('FlinkHttp', () => {
  it('retries 503 and 502/504 with backoff, then succeeds', async () => {
    const s = await scripted([503, 502, 504, 200]);
    servers.push(s.server);
    await expect(new FlinkHttp(s.url, opts).get('/x')).resolves.toEqual({ ok: true });
    expect(s.hits()).toBe(4);
  });

  it('never retries a user error (400/404/500): the body reaches the caller', async () => {
    const s = await scripted([500, 200]);
    servers.push(s.server);
    const error = await new FlinkHttp(s.url, opts)
      .post('/v3/sessions/x/statements', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(500);
    expect((error as HttpStatusError).body).toEqual({ errors: ['status 500'] });
    expect(s.hits()).toBe(1);
  });

  it('does not repeat a POST that may have reached the server (reset, 502)', async () => {
    const reset = await scripted(['reset', 200]);
    servers.push(reset.server);
    await expect(new FlinkHttp(reset.url, opts).post('/statements')).rejects.toThrow(
      FlinkUnavailableError,
    );
    expect(reset.hits()).toBe(1);
    const badGateway = await scripted([502, 200]);
    servers.push(badGateway.server);
    await expect(new FlinkHttp(badGateway.url, opts).post('/statements')).rejects.toThrow(
      HttpStatusError,
    );
    expect(badGateway.hits()).toBe(1);
  });

  it('repeats a GET after a reset', async () => {
    const s = await scripted(['reset', 200]);
    servers.push(s.server);
    await expect(new FlinkHttp(s.url, opts).get('/x')).resolves.toEqual({ ok: true });
    expect(s.hits()).toBe(2);
  });

  it('gives up on a refused connection after the retries, naming the endpoint', async () => {
    const s = await scripted([200]);
    await new Promise((r) => s.server.close(r));
    await expect(new FlinkHttp(s.url, opts).post('/x')).rejects.toThrow(
      new RegExp(`${s.url}: POST /x: ECONNREFUSED \\(gave up after 4 attempts\\)`),
    );
  });
});
