import { request } from 'https';
import { FstoreConfig } from '@fstore/config';
import { ClientTls, flinkClientTls } from '@fstore/flink';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One raw request to the https JobManager or SQL Gateway (Node's fetch cannot present a client
 * certificate), for tests that look at headers and statuses the clients hide. tls: the identity to
 * present (default: the stack's, from FSTORE_FLINK_TLS_*); `false` presents none.
 */
export function flinkRequest(
  config: FstoreConfig,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  tls: Partial<ClientTls> | false = flinkClientTls(config) ?? false,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers,
        ...(tls === false ? { ca: flinkClientTls(config)?.ca } : tls),
        timeout: 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
