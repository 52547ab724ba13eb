export {
  allErrors,
  duplicateCodes,
  ERRORS,
  errorsMarkdown,
  featureNotFound,
  type ErrorEntry,
  type ErrorName,
  type LegacyFeature,
} from './error-registry';
export {
  DomainError,
  InvalidField,
  NotAuthenticated,
  PermissionDenied,
  TooManyRequests,
  Unavailable,
  Unhandled,
  ValidationFailed,
  type ErrorDetail,
} from './errors';
export {
  ErrorFilter,
  toDomainError,
  type ErrorAnswer,
  type ErrorAnswerBody,
  type ErrorMapper,
} from './error.filter';
export { FieldValidationPipe, UuidPipe, type FastPathDto } from './validation';
export { HttpMetrics } from './http-metrics';
export { exceedsJsonDepth, JsonTooDeep, useJsonBodyLimits, type JsonBodyLimits } from './json-body';
export {
  ApiErrors,
  buildOpenApiDocument,
  documented,
  ErrorBody,
  ErrorDetailDto,
  errorResponses,
  serveOpenApiDocument,
  SHARED_ERRORS,
  type ApiDocumentInfo,
  type ErrorResponse,
  type ErrorResponses,
  writeOpenApiDocumentToArgument,
} from './openapi';
