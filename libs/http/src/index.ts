export {
  DEFAULT_HTTP,
  HttpStatusError,
  RetryingJsonHttp,
  type HttpOptions,
  type JsonHttpServer,
} from './json-http';
