import 'reflect-metadata';
import { loadConfig } from '@fstore/config';
import { startTracing } from '@fstore/observability';

/**
 * `node bin/app.js control-plane` — API + worker + reconciler in one process;
 * `--worker-only` — a worker (and reconciler) without HTTP; `--no-worker` — API only.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Before the app's modules load: the instrumentations patch them as they are required.
  await startTracing('control-plane', config.tracing);
  const { createApp, createWorker } = await import('./app');
  const args = process.argv.slice(2);
  if (args.includes('--worker-only')) {
    await createWorker({ config, reconciler: !args.includes('--no-reconciler') });
    return;
  }
  const worker = !args.includes('--no-worker');
  const app = await createApp({
    config,
    worker,
    reconciler: worker && !args.includes('--no-reconciler'),
  });
  await app.listen(config.control.port, config.host);
}

void main().catch((e: unknown) => {
  console.error(
    JSON.stringify({ level: 'fatal', msg: 'control-plane failed to start', error: String(e) }),
  );
  process.exit(1);
});
