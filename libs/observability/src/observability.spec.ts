import { Counter, Registry } from 'prom-client';
import { createLogger, kafkaLogCreator, NestJsonLogger, serveOps } from './index';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test-service', {
    level,
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { lines, logger };
}

describe('createLogger', () => {
  it('writes one JSON object a line with the same fields in every process', () => {
    const { lines, logger } = capture();
    logger.info('batch written', { count: 3, feature: 'spend' });
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(Object.keys(line).sort()).toEqual(
      ['count', 'feature', 'hostname', 'level', 'msg', 'pid', 'service', 'time'].sort(),
    );
    expect(line).toMatchObject({
      level: 'info',
      service: 'test-service',
      msg: 'batch written',
      count: 3,
      feature: 'spend',
      pid: process.pid,
    });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('drops lines below its level', () => {
    const { lines, logger } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
    ]);
  });
});

describe('NestJsonLogger', () => {
  it("maps Nest's calls onto the structured logger: context, stack, levels", () => {
    const { lines, logger } = capture('debug');
    const nest = new NestJsonLogger(logger);
    nest.log('Mapped {/api, GET} route', 'RouterExplorer');
    nest.error('boom', 'Error: boom\n    at x (y.ts:1:2)', 'ExceptionsHandler');
    nest.error('no context', 'Error: no context\n    at x (y.ts:1:2)');
    nest.verbose('fine detail', 'Ctx');
    nest.fatal('down');
    nest.warn({ message: 'as object', id: 7 }, 'Ctx');
    expect(
      lines.map(({ level, msg, context, stack, id, fatal }) => ({
        level,
        msg,
        context,
        stack,
        id,
        fatal,
      })),
    ).toEqual([
      { level: 'info', msg: 'Mapped {/api, GET} route', context: 'RouterExplorer' },
      {
        level: 'error',
        msg: 'boom',
        context: 'ExceptionsHandler',
        stack: 'Error: boom\n    at x (y.ts:1:2)',
      },
      { level: 'error', msg: 'no context', stack: 'Error: no context\n    at x (y.ts:1:2)' },
      { level: 'debug', msg: 'fine detail', context: 'Ctx' },
      { level: 'error', msg: 'down', fatal: true },
      { level: 'warn', msg: 'as object', context: 'Ctx', id: 7 },
    ]);
  });

  it('honours the levels Nest sets', () => {
    const { lines, logger } = capture('debug');
    const nest = new NestJsonLogger(logger);
    nest.setLogLevels(['error']);
    nest.log('quiet');
    nest.error('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});

describe('serveOps', () => {
  it('serves /metrics, /health and /health/ready (503 with status and detail until ready)', async () => {
    const registry = new Registry();
    new Counter({ name: 'ops_test_total', help: 'a counter', registers: [registry] }).inc(2);
    let ready = false;
    const { server, port } = await serveOps({
      host: '127.0.0.1',
      port: 0,
      registry,
      readiness: () =>
        ready
          ? { ready, status: 'ok' }
          : { ready, status: 'starting', detail: 'not consuming yet' },
    });
    const get = async (path: string, method = 'GET') => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      return { status: res.status, body: await res.text() };
    };
    try {
      const metrics = await get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('ops_test_total 2');
      expect(await get('/health')).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect(await get('/health/ready')).toEqual({
        status: 503,
        body: '{"status":"starting","detail":"not consuming yet"}',
      });
      ready = true;
      expect(await get('/health/ready')).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect(await get('/nope')).toEqual({ status: 404, body: '{"status":"not found"}' });
      expect((await get('/health', 'POST')).status).toBe(405);
    } finally {
      server.close();
    }
  });

  it('fails to start when the port is taken, instead of running without its endpoints', async () => {
    const first = await serveOps({ host: '127.0.0.1', port: 0, registry: new Registry() });
    try {
      await expect(
        serveOps({ host: '127.0.0.1', port: first.port, registry: new Registry() }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      first.server.close();
    }
  });
});

describe('kafkaLogCreator', () => {
  it("writes kafkajs's lines through the logger at the matching level, without its own time", () => {
    const { lines, logger } = capture('debug');
    const write = kafkaLogCreator(logger, /ignore me/)();
    write({
      level: 1,
      log: { message: 'broken', timestamp: 'x', logger: 'kafkajs', broker: 'b:1' },
    });
    write({ level: 2, log: { message: 'slow' } });
    write({ level: 4, log: { message: 'joined' } });
    write({ level: 5, log: { message: 'detail' } });
    write({ level: 1, log: { message: 'please ignore me' } });
    expect(lines.map(({ level, msg, broker, logger: l }) => ({ level, msg, broker, l }))).toEqual([
      { level: 'error', msg: 'kafkajs: broken', broker: 'b:1' },
      { level: 'warn', msg: 'kafkajs: slow' },
      { level: 'info', msg: 'kafkajs: joined' },
      { level: 'debug', msg: 'kafkajs: detail' },
    ]);
  });
});

describe('NestJsonLogger with an object message', () => {
  it('takes the line from its msg (or message), the rest as fields, one msg key', () => {
    const { lines, logger } = capture();
    const nest = new NestJsonLogger(logger);
    const raw: string[] = [];
    const rawLogger = createLogger('x', { write: (l) => raw.push(l) });
    new NestJsonLogger(rawLogger).log({ msg: 'worker started', queue: 'q' }, 'worker');
    nest.log({ message: 'alt', n: 1 });
    expect(raw[0].match(/"msg"/g)).toHaveLength(1);
    expect(JSON.parse(raw[0])).toMatchObject({
      msg: 'worker started',
      queue: 'q',
      context: 'worker',
    });
    expect(lines[0]).toMatchObject({ msg: 'alt', n: 1 });
  });
});
