export {
  DomainError,
  InvalidField,
  NotAuthenticated,
  Unhandled,
  ValidationFailed,
  type ErrorDetail,
} from './errors';
export { ErrorFilter, toDomainError, type ErrorMapper } from './error.filter';
export { FieldValidationPipe, UuidPipe, type FastPathDto } from './validation';
export { HttpMetrics } from './http-metrics';
