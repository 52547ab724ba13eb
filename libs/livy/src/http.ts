import { DEFAULT_HTTP, HttpOptions, RetryingJsonHttp } from '@fstore/http';
import { LivyUnavailableError } from './errors';

export { DEFAULT_HTTP, HttpStatusError, type HttpOptions } from '@fstore/http';

/** The Livy server's JSON API. */
export class LivyHttp extends RetryingJsonHttp {
  /** token: the bearer token Livy's auth filter wants (stack/livy/auth/BearerTokenFilter.java). */
  constructor(baseUrl: string, opts: HttpOptions = DEFAULT_HTTP, token?: string) {
    super(baseUrl, opts, {
      unavailable: (url, reason) => new LivyUnavailableError(url, reason),
      headers: {
        // Livy's CSRF protection (when enabled) wants this header on every modifying request.
        'X-Requested-By': 'fstore',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      // Livy's Jetty drops idle connections without notice; a reused one fails with ECONNRESET.
      // Requests are few: one connection each.
      keepAlive: false,
    });
  }
}
