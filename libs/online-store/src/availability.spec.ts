import { AddressInfo, createServer, Server, Socket } from 'net';
import Redis from 'ioredis';
import { isOnlineStoreUnavailable } from './availability';

/**
 * A TCP server speaking just enough RESP: it answers every command with `reply` (a raw RESP
 * line), or never answers when `reply` is undefined.
 */
async function fakeRedisServer(reply?: string): Promise<{ port: number; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data) => {
      if (reply === undefined) return;
      // One answer per command (a RESP array header); the client may send several at once.
      const commands = data
        .toString()
        .split('\r\n')
        .filter((l) => /^\*\d+$/.test(l)).length;
      socket.write(reply.repeat(commands));
    });
  });
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** The error a real ioredis client gives for GET against `port`. */
async function errorOfGet(port: number): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    commandTimeout: 200,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
    lazyConnect: true,
  });
  client.on('error', () => undefined);
  try {
    await client.get('units_sold:{p1}');
    throw new Error('GET answered');
  } catch (e) {
    return e;
  } finally {
    // A client that ended by itself (refused, no retry) is left alone: disconnect() would start
    // a 2 s timer to destroy a socket that is gone already.
    if (client.status !== 'end') client.disconnect();
  }
}

describe('isOnlineStoreUnavailable', () => {
  it('is true for a refused connection (nothing listens on port 1)', async () => {
    const e = await errorOfGet(1);
    expect(isOnlineStoreUnavailable(e)).toBe(true);
  });

  it('is true for a command that times out', async () => {
    const { port, server } = await fakeRedisServer();
    try {
      const e = await errorOfGet(port);
      expect((e as Error).message).toBe('Command timed out');
      expect(isOnlineStoreUnavailable(e)).toBe(true);
    } finally {
      server.close();
    }
  });

  it("is true for Redis's cluster-down and master-down replies, false for a refused command", async () => {
    for (const [reply, unavailable] of [
      ['-CLUSTERDOWN The cluster is down\r\n', true],
      ['-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no\r\n', true],
      ['-ERR unknown command\r\n', false],
      ['-WRONGTYPE Operation against a key holding the wrong kind of value\r\n', false],
    ] as const) {
      const { port, server } = await fakeRedisServer(reply);
      try {
        const e = await errorOfGet(port);
        expect([reply, (e as Error).name, isOnlineStoreUnavailable(e)]).toEqual([
          reply,
          'ReplyError',
          unavailable,
        ]);
      } finally {
        server.close();
      }
    }
  });

  it("is true for the store's own not-reachable error and through a cause", () => {
    const own = new Error('Redis Cluster is not reachable');
    expect(isOnlineStoreUnavailable(own)).toBe(true);
    expect(isOnlineStoreUnavailable(new Error('read failed', { cause: own }))).toBe(true);
  });

  it("is true for the cluster client's redirections running out (ioredis's message)", () => {
    // ioredis/built/cluster/index.js handleError: a command routed maxRedirections times.
    const e = new Error('Too many Cluster redirections. Last error: Error: Connection is closed.');
    expect(isOnlineStoreUnavailable(e)).toBe(true);
    expect(isOnlineStoreUnavailable(new Error('Too many redirections in my loop'))).toBe(false);
  });

  it('is false for a bug', () => {
    expect(
      isOnlineStoreUnavailable(
        new TypeError("Cannot read properties of undefined (reading 'value')"),
      ),
    ).toBe(false);
    expect(isOnlineStoreUnavailable(new RangeError('unknown feature: nope'))).toBe(false);
    expect(isOnlineStoreUnavailable('a string')).toBe(false);
  });
});
