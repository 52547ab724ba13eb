import { createServer, Server, Socket } from 'net';
import { AddressInfo } from 'net';

/**
 * A PostgreSQL server whose database has no tables yet, for unit tests of what a client does
 * before the migrations ran: it speaks the real wire protocol (protocol 3.0, no password asked),
 * so the real `pg` driver connects to it, and answers every statement with PostgreSQL's
 * undefined_table error (SQLSTATE 42P01). It records the statements it was sent.
 */
export interface PostgresWithoutTables {
  port: number;
  /** Every statement received, in order (simple and extended protocol alike). */
  statements: string[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

const AUTHENTICATION_OK = message('R', int32(0));
const READY_FOR_QUERY = message('Z', Buffer.from('I', 'latin1'));

function undefinedTable(statement: string): Buffer {
  const relation = /auth_\w+/.exec(statement)?.[0] ?? 'the_table';
  const fields: [string, string][] = [
    ['S', 'ERROR'],
    ['V', 'ERROR'],
    ['C', '42P01'],
    ['M', `relation "${relation}" does not exist`],
  ];
  const body = Buffer.concat([
    ...fields.map(([code, text]) => Buffer.from(`${code}${text}\0`, 'utf8')),
    Buffer.from([0]),
  ]);
  return message('E', body);
}

/** The C string at `offset` of `b`. */
const cstring = (b: Buffer, offset: number) => b.toString('utf8', offset, b.indexOf(0, offset));

function serve(socket: Socket, statements: string[]): void {
  let pending = Buffer.alloc(0);
  let started = false;
  // The extended protocol's Parse carries the statement; its error is sent at Sync.
  let parsed: string | undefined;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (!started) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        const code = pending.readInt32BE(4);
        pending = pending.subarray(length);
        if (code === SSL_REQUEST) {
          socket.write('N');
          continue;
        }
        started = true;
        socket.write(Buffer.concat([AUTHENTICATION_OK, READY_FOR_QUERY]));
        continue;
      }
      if (pending.length < 5) return;
      const type = String.fromCharCode(pending[0]);
      const length = pending.readInt32BE(1);
      if (pending.length < length + 1) return;
      const body = pending.subarray(5, length + 1);
      pending = pending.subarray(length + 1);
      if (type === 'Q') {
        const sql = cstring(body, 0);
        statements.push(sql);
        socket.write(Buffer.concat([undefinedTable(sql), READY_FOR_QUERY]));
      } else if (type === 'P') {
        // Parse: the statement's name, then its text.
        parsed = cstring(body, body.indexOf(0) + 1);
        statements.push(parsed);
      } else if (type === 'S') {
        const answer = parsed === undefined ? [] : [undefinedTable(parsed)];
        socket.write(Buffer.concat([...answer, READY_FOR_QUERY]));
        parsed = undefined;
      } else if (type === 'X') {
        socket.end();
        return;
      }
      // Bind, Describe, Execute, Flush: nothing to answer before Sync (the Parse failed).
    }
  });
}

export function postgresWithoutTables(): Promise<PostgresWithoutTables> {
  const statements: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, statements);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        statements,
        close: () =>
          new Promise<void>((done) => {
            sockets.forEach((s) => s.destroy());
            server.close(() => done());
          }),
      }),
    ),
  );
}
