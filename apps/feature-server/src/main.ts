import 'reflect-metadata';
import { loadConfig } from '@fstore/config';
import { startTracing } from '@fstore/observability';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before the app's modules load: the instrumentations patch them as they are required.
  await startTracing('feature-server', config.tracing);
  const { createApp } = await import('./app');
  const app = await createApp(undefined, config);
  await app.listen(config.serving.port, config.host);
}

void main().catch((e: unknown) => {
  console.error(
    JSON.stringify({ level: 'fatal', msg: 'feature-server failed to start', error: String(e) }),
  );
  process.exit(1);
});
