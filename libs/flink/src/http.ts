import { ClientTlsSource, DEFAULT_HTTP, HttpOptions, RetryingJsonHttp } from '@fstore/http';
import { FlinkUnavailableError } from './errors';

export {
  DEFAULT_HTTP,
  HttpStatusError,
  type ClientTls,
  type ClientTlsSource,
  type HttpOptions,
} from '@fstore/http';

/**
 * A JSON API of Flink (the JobManager REST API or the SQL Gateway). tls: the client identity and
 * the server certificate of an https Flink with mutual TLS (flinkClientTls).
 */
export class FlinkHttp extends RetryingJsonHttp {
  constructor(baseUrl: string, opts: HttpOptions = DEFAULT_HTTP, tls?: ClientTlsSource) {
    super(baseUrl, opts, {
      unavailable: (url, reason) => new FlinkUnavailableError(url, reason),
      tls,
    });
  }
}
