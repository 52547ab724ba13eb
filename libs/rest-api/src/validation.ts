import { ArgumentMetadata, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorDetail, InvalidField, ValidationFailed } from './errors';

function flatten(errors: ValidationError[], path: string[] = []): ErrorDetail[] {
  return errors.flatMap((e) => {
    const loc = [...path, e.property];
    const missing = e.value === undefined;
    const own = Object.entries(e.constraints ?? {}).map(([type, msg]) => ({
      loc,
      msg: missing ? 'field required' : msg,
      type: missing ? 'value_error.missing' : `value_error.${type}`,
    }));
    return [...own, ...flatten(e.children ?? [], loc)];
  });
}

/**
 * A DTO of a hot route may carry a hand-written check of its decorators' rules: `accept` returns
 * the instance class-validator would give for the common valid input, and undefined for anything
 * else, which class-validator then judges as before (so every error body stays its own).
 */
export interface FastPathDto<T = unknown> {
  accept(value: unknown): T | undefined;
}

/**
 * class-validator on every input, whitelisted (unknown fields are refused); a failure becomes
 * code 1000 whose detail names each field with where it came from: ['query', 'product_id'].
 * A DTO with `accept` (FastPathDto) skips it for the input `accept` vouches for.
 */
export class FieldValidationPipe implements PipeTransform {
  private readonly validation = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => ValidationFailed(flatten(errors)),
  });

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const accepted = (metadata.metatype as Partial<FastPathDto> | undefined)?.accept?.(value);
    return accepted !== undefined ? accepted : this.validateFully(value, metadata);
  }

  private async validateFully(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await this.validation.transform(value, metadata);
    } catch (e) {
      if (e instanceof DomainError && e.detail) {
        throw ValidationFailed(e.detail.map((d) => ({ ...d, loc: [metadata.type, ...d.loc] })));
      }
      throw e;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path or query parameter that must be a UUID; the error names it. */
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!UUID.test(value)) {
      const where = metadata.type === 'param' ? 'path' : metadata.type;
      throw InvalidField([where, metadata.data ?? 'id'], 'must be a UUID');
    }
    return value;
  }
}
