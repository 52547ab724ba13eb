import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { Registry } from 'prom-client';

/** What /health/ready answers: 200 when ready, else 503, with `status` and `detail` as JSON. */
export interface Readiness {
  ready: boolean;
  status: string;
  detail?: string;
}

export interface OpsServerOptions {
  host: string;
  /** 0: any free port (the bound one is returned). */
  port: number;
  registry: Registry;
  /** Readiness of the process (default: ready while it runs, like liveness). */
  readiness?: () => Readiness;
}

/**
 * The operations endpoints of a process that is not a Nest app (the feature writer, the
 * producer service), the same paths the Nest apps serve: `/metrics` (Prometheus), `/health`
 * (liveness: the process answers) and `/health/ready` (readiness). Anything else is 404.
 */
export async function serveOps(opts: OpsServerOptions): Promise<{ server: Server; port: number }> {
  const json = (res: import('http').ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { status: 'method not allowed' });
    } else if (req.url === '/metrics') {
      opts.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body),
        (e: Error) => json(res, 500, { status: 'metrics failed', detail: e.message }),
      );
    } else if (req.url === '/health') {
      json(res, 200, { status: 'ok' });
    } else if (req.url === '/health/ready') {
      const r = opts.readiness?.() ?? { ready: true, status: 'ok' };
      const { status, detail } = r;
      json(res, r.ready ? 200 : 503, detail === undefined ? { status } : { status, detail });
    } else {
      json(res, 404, { status: 'not found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
