import { request } from 'http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * One HTTP/1.1 request with node:http. Not fetch: fetch refuses some ports outright (6566, Feast's
 * default, is on its blocked-port list), and the benchmark must reach whatever port is configured.
 */
export function httpRequest(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
  } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, timeout: opts.timeoutMs ?? 10000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in time`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
