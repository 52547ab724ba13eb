export {
  DEFAULT_HTTP,
  HttpStatusError,
  RetryingJsonHttp,
  type ClientTls,
  type ClientTlsSource,
  type HttpOptions,
  type JsonHttpServer,
} from './json-http';
