import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { ApiError, ApiUnavailableError, JsonApi } from './http';

// A real HTTP server on the loopback that answers as each test says, counting requests.
let server: Server;
let baseUrl = '';
let answers: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];
let requests: { method?: string; url?: string; headers: IncomingMessage['headers'] }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    // Each answer once, the last one for every request after it.
    const answer = answers.length > 1 ? answers.shift()! : (answers[0] ?? json(200, {}));
    answer(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  answers = [];
  requests = [];
});

const json = (status: number, body: unknown) => (_: IncomingMessage, res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const silent = () => undefined; // never answers
const api = (opts: { retries?: number; timeoutMs?: number } = {}) =>
  new JsonApi({ baseUrl, backoffMs: 1, timeoutMs: 300, ...opts }, () => 'Bearer k1');

describe('JsonApi', () => {
  it('sends the authorization, the JSON body and the query; answers the JSON', async () => {
    answers = [json(200, { ok: true })];
    const got = await api().request('POST', '/v1/x', {
      body: { a: 1 },
      query: { names: 'a,b', skip: undefined },
    });
    expect(got).toEqual({ ok: true });
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/v1/x?names=a%2Cb' });
    expect(requests[0].headers).toMatchObject({
      authorization: 'Bearer k1',
      'content-type': 'application/json',
    });
  });

  it('an error body becomes an ApiError carrying error_code, message and detail', async () => {
    const detail = [{ loc: ['body', 'ids'], msg: 'too many', type: 'value_error.too_large' }];
    answers = [json(413, { error_code: 1002, error_message: 'too large', error_detail: detail })];
    const error = await api()
      .request('POST', '/v1/b', { body: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 413, errorCode: 1002, errorDetail: detail });
    expect((error as Error).message).toBe(
      'POST /v1/b answered 413 (1002) too large: body.ids too many',
    );
    expect(requests).toHaveLength(1);
  });

  it("a 500's ApiError names its correlation id (the server's log line carries it)", async () => {
    const id = '5f0c1b9e-3d2a-4c8e-9f71-2b6d0a4e8c13';
    answers = [
      json(500, {
        error_code: 1999,
        error_message: 'Unhandled error',
        error_detail: null,
        correlation_id: id,
      }),
    ];
    const error = await api()
      .request('POST', '/v1/b', { body: {} })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 500, errorCode: 1999, correlationId: id });
    expect((error as Error).message).toBe(
      `POST /v1/b answered 500 (1999) Unhandled error [correlation id ${id}]`,
    );
  });

  it('retries a GET after 503 and after a timeout, then succeeds', async () => {
    answers = [json(503, { error_code: 1400, error_message: 'down' }), silent, json(200, [1])];
    expect(await api({ retries: 2 }).request('GET', '/r')).toEqual([1]);
    expect(requests).toHaveLength(3);
  });

  it('gives up after its retries with ApiUnavailableError naming the last failure', async () => {
    answers = [silent];
    const error = await api({ retries: 1, timeoutMs: 100 })
      .request('GET', '/slow')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnavailableError);
    expect((error as Error).message).toBe(
      `${baseUrl}: no answer in 100 ms (gave up after 2 attempts)`,
    );
    expect(requests).toHaveLength(2);
  });

  it('never repeats a POST that is not idempotent: neither after 503 nor after a timeout', async () => {
    answers = [json(503, { error_code: 1400, error_message: 'down', error_detail: null })];
    await expect(api().request('POST', '/p', { body: {} })).rejects.toMatchObject({
      status: 503,
      errorCode: 1400,
    });
    answers = [silent];
    await expect(api().request('POST', '/p', { body: {} })).rejects.toThrow(
      /not retried: the request may have been processed/,
    );
    expect(requests).toHaveLength(2);
  });

  it('repeats a POST marked idempotent (a read, or one with an Idempotency-Key)', async () => {
    answers = [json(502, {}), json(200, { done: 1 })];
    expect(await api().request('POST', '/p', { body: {}, idempotent: true })).toEqual({ done: 1 });
    expect(requests).toHaveLength(2);
  });

  it('repeats any request whose connection was refused (it never reached the server)', async () => {
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    const port = (spare.address() as AddressInfo).port;
    await new Promise((r) => spare.close(r)); // nothing listens there now
    const closed = new JsonApi(
      { baseUrl: `http://127.0.0.1:${port}`, retries: 1, backoffMs: 1 },
      () => undefined,
    );
    await expect(closed.request('POST', '/p', { body: {} })).rejects.toThrow(
      `http://127.0.0.1:${port}: POST /p: ECONNREFUSED (gave up after 2 attempts)`,
    );
  });
});
