import { DEFAULT_HTTP, HttpOptions, RetryingJsonHttp } from '@fstore/http';
import { FlinkUnavailableError } from './errors';

export { DEFAULT_HTTP, HttpStatusError, type HttpOptions } from '@fstore/http';

/** A JSON API of Flink (the JobManager REST API or the SQL Gateway). */
export class FlinkHttp extends RetryingJsonHttp {
  constructor(baseUrl: string, opts: HttpOptions = DEFAULT_HTTP) {
    super(baseUrl, opts, { unavailable: (url, reason) => new FlinkUnavailableError(url, reason) });
  }
}
