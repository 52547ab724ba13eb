export {
  LivyBatchesClient,
  TERMINAL_STATES,
  isTerminal,
  livyMessage,
  type BatchInfo,
  type BatchRequest,
  type BatchState,
  type LogPage,
  type WaitOptions,
} from './livy-batches.client';
export { DEFAULT_HTTP, type HttpOptions } from './http';
export {
  LivyBatchNotFoundError,
  LivyError,
  LivyInvalidRequestError,
  LivyProtocolError,
  LivyRequestError,
  LivyTimeoutError,
  LivyUnavailableError,
} from './errors';
