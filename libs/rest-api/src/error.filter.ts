import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { DomainError, Unhandled, ValidationFailed } from './errors';

/** Maps an app-specific exception (e.g. a dependency's typed error) to a body, or declines. */
export type ErrorMapper = (exception: unknown) => DomainError | undefined;

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
    const error = this.mapOwn(exception) ?? toDomainError(exception);
    if (error.status >= 500) {
      this.logger.error({ msg: error.message, cause: String(exception), code: error.code });
    }
    for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    void reply.status(error.status).send({
      error_code: error.code,
      error_message: error.message,
      error_detail: error.detail,
    });
  }
}

export function toDomainError(exception: unknown): DomainError {
  if (exception instanceof DomainError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new DomainError(404, 1404, 'No such route');
    if (status === 413) {
      return new DomainError(413, 1002, 'Request body too large', [
        { loc: ['body'], msg: exception.message, type: 'value_error.too_large' },
      ]);
    }
    if (status === 400) {
      return ValidationFailed([{ loc: ['body'], msg: exception.message, type: 'value_error' }]);
    }
    return new DomainError(status, 1999, exception.message);
  }
  return Unhandled();
}
