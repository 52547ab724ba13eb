import { randomUUID } from 'crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { ERRORS } from './error-registry';
import { DomainError, Unhandled, ValidationFailed } from './errors';

/** Maps an app-specific exception (e.g. a dependency's typed error) to a body, or declines. */
export type ErrorMapper = (exception: unknown) => DomainError | undefined;

/** The body of an error answer; a 500 carries the id its log line carries. */
export interface ErrorAnswerBody {
  error_code: number;
  error_message: string;
  error_detail: DomainError['detail'];
  correlation_id?: string;
}

/** What the filter answers: the status, the headers (e.g. Retry-After) and the body. */
export interface ErrorAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: ErrorAnswerBody;
}

/** The one place that turns errors into HTTP bodies. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('errors');

  constructor(private readonly mapOwn: ErrorMapper = () => undefined) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.send(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }

  /** Answers with the error's status and body (for a route served outside Nest's pipeline). */
  send(reply: FastifyReply, exception: unknown): void {
    const { status, headers, body } = this.answer(exception);
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    void reply.status(status).send(body);
  }

  /** The answer to `exception` (status, headers, body), its log line written. */
  answer(exception: unknown): ErrorAnswer {
    const error = this.mapOwn(exception) ?? toDomainError(exception);
    const body: ErrorAnswerBody = {
      error_code: error.code,
      error_message: error.message,
      error_detail: error.detail,
    };
    if (error.code === ERRORS.unhandled.code) {
      // A fault of ours (a bug, an unexpected answer): the client gets an id to report, the log
      // line with the stack carries the same id.
      body.correlation_id = randomUUID();
      this.logger.error({
        msg: error.message,
        code: error.code,
        correlation_id: body.correlation_id,
        cause: String(exception),
        stack: exception instanceof Error ? exception.stack : undefined,
      });
    } else if (error.status >= 500) {
      this.logger.error({ msg: error.message, cause: String(exception), code: error.code });
    }
    return { status: error.status, headers: error.headers, body };
  }
}

/**
 * An exception as a DomainError: its own, or Nest's HTTP exceptions by status, anything else an
 * unhandled fault (500, error_code 1999).
 */
export function toDomainError(exception: unknown): DomainError {
  if (exception instanceof DomainError) return exception;
  if (!(exception instanceof HttpException)) return Unhandled();
  const status = exception.getStatus();
  switch (status) {
    case 400:
      return ValidationFailed([{ loc: ['body'], msg: exception.message, type: 'value_error' }]);
    case 401:
      return new DomainError(ERRORS.notAuthenticated, `Not authenticated: ${exception.message}`);
    case 403:
      return new DomainError(ERRORS.permissionDenied, `Permission denied: ${exception.message}`);
    case 404:
      return new DomainError(ERRORS.noSuchRoute);
    case 413:
      return new DomainError(ERRORS.tooLarge, 'Request body too large', [
        { loc: ['body'], msg: exception.message, type: 'value_error.too_large' },
      ]);
    case 415:
      return new DomainError(ERRORS.unsupportedMediaType, exception.message);
  }
  if (status >= 500) return Unhandled();
  return new DomainError(ERRORS.requestRefused, `Request refused: ${exception.message}`);
}
