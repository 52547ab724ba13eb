import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import {
  LivyBatchesClient,
  LivyBatchNotFoundError,
  LivyInvalidRequestError,
  LivyRequestError,
  LivyUnavailableError,
} from '@fstore/livy';

/** Against the stack's real Livy server (`fstore stack up livy`). */
const config = loadConfig();
const livy = LivyBatchesClient.fromConfig(config);
const fixtures = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs');

describe('@fstore/livy against the real Livy server', () => {
  const started: number[] = [];
  afterAll(async () => {
    for (const id of started) await livy.kill(id).catch(() => undefined);
  });

  it('a batch that raises ends dead, and its log (paged) carries the Python error', async () => {
    const id = await livy.submit({
      file: join(fixtures, 'fail_job.py'),
      args: ['medium-test'],
      name: `fstore-test-fail-${Date.now()}`,
    });
    started.push(id);
    expect(await livy.waitForCompletion(id, { timeoutMs: 240000 })).toBe('dead');
    const log = await livy.fullLog(id, 7);
    expect(log.join('\n')).toContain('RuntimeError: intentional failure for the Livy tests');
    const tail = await livy.log(id, { from: 0, size: 3 });
    expect(tail.lines).toHaveLength(3);
    expect(tail.total).toBe(log.length);
    expect((await livy.batch(id)).state).toBe('dead');
  }, 300000);

  it('kills a running batch; Livy then forgets it (LivyBatchNotFoundError)', async () => {
    const id = await livy.submit({ file: join(fixtures, 'sleep_job.py'), args: ['600'] });
    started.push(id);
    expect(await livy.waitForState(id, 'running', { timeoutMs: 240000 })).toBe('running');
    await livy.kill(id);
    await expect(livy.state(id)).rejects.toBeInstanceOf(LivyBatchNotFoundError);
    await expect(livy.log(id)).rejects.toBeInstanceOf(LivyBatchNotFoundError);
    await expect(livy.kill(id)).rejects.toBeInstanceOf(LivyBatchNotFoundError);
  }, 300000);

  it("reports an unknown batch as forgotten, and Livy's refusals with Livy's message", async () => {
    const err = await livy.state(987654321).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LivyBatchNotFoundError);
    expect((err as LivyBatchNotFoundError).livyMessage).toMatch(/987654321.*not found/);

    // Outside livy.file.local-dir-whitelist: refused with Livy's message.
    const before = Math.max(-1, ...(await livy.list()).map((b) => b.id));
    const refused = await livy.submit({ file: '/etc/hostname' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LivyRequestError);
    expect((refused as LivyRequestError).status).toBe(400);
    expect((refused as LivyRequestError).livyMessage).toMatch(
      /Local path \/etc\/hostname cannot be added to user sessions/,
    );
    // Livy 0.7.1 leaves a phantom batch (`starting`, no log) behind a refused submission.
    for (const b of await livy.list()) {
      if (b.id > before && b.state === 'starting' && b.appId === null) await livy.kill(b.id);
    }
    await expect(livy.submit({ file: 'relative.py' })).rejects.toBeInstanceOf(
      LivyInvalidRequestError,
    );
  });

  it('gives up on a server that does not answer, after retrying', async () => {
    const dead = new LivyBatchesClient('http://127.0.0.1:9', {
      timeoutMs: 1000,
      retries: 2,
      backoffMs: 10,
    });
    await expect(dead.list()).rejects.toThrow(LivyUnavailableError);
    await expect(dead.list()).rejects.toThrow(/gave up after 3 attempts/);
  });
});
