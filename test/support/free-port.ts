import { createServer } from 'net';
import { loadConfig } from '@fstore/config';

/** A loopback port nothing listens on now, for a process a test starts beside the stack's. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, loadConfig().host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
