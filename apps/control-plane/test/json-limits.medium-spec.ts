import { monitorEventLoopDelay } from 'perf_hooks';
import { Harness } from './harness';

// Issue 20, finding 6: a deeply nested JSON body used to overflow the stack in validation (500,
// a 600 ms event-loop stall). Now it is refused before parsing, with the standard error body.
jest.setTimeout(120000);

const h = new Harness();

beforeAll(() => h.start({ worker: false, reconciler: false }));
afterAll(() => h.stop([]));

async function post(path: string, body: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${h.base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.keys.operator}`, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, body: await res.json() };
}

describe('JSON body limits of the control plane', () => {
  it('refuses a 400,000-deep array with 400 naming the body, quickly', async () => {
    const deep = '['.repeat(400000) + ']'.repeat(400000);
    await post('/v1/jobs', '{}'); // warm: the first request pays for lazy initialisation
    // The server runs in this process: its event loop must not stall (it did for ~600 ms).
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = Date.now();
    const res = await post('/v1/jobs', deep);
    const elapsed = Date.now() - t0;
    loop.disable();
    expect(elapsed).toBeLessThan(2000);
    expect(loop.max / 1e6).toBeLessThan(200);
    expect(res).toEqual({
      status: 400,
      body: {
        error_code: 1000,
        error_message: 'Request validation error',
        error_detail: [
          {
            loc: ['body'],
            msg: 'JSON nested deeper than 32 levels of arrays and objects',
            type: 'value_error.json_depth',
          },
        ],
      },
    });
  });

  it('refuses a body over the size limit with 413, and still validates a normal one', async () => {
    const big = JSON.stringify({ name: 'x', kind: 'flink-sql', source: 'y'.repeat(1100000) });
    const tooBig = await post('/v1/jobs', big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toMatchObject({
      error_code: 1002,
      error_message: 'Request body too large',
    });
    // Nested within the limit: validation judges it and names the field.
    const shallow = await post(
      '/v1/jobs',
      JSON.stringify({ name: `j-${h.id}`, kind: 'flink-sql', source: [[['x']]] }),
    );
    expect(shallow.status).toBe(400);
    expect(shallow.body).toMatchObject({ error_code: 1000 });
    expect(JSON.stringify(shallow.body)).toContain('source');
  });
});
