import 'reflect-metadata';
import { loadConfig } from '@fstore/config';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(undefined, config);
  await app.listen(config.serving.port, config.host);
}

void main().catch((e: unknown) => {
  console.error(
    JSON.stringify({ level: 'fatal', msg: 'feature-server failed to start', error: String(e) }),
  );
  process.exit(1);
});
