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
 * class-validator on every input, whitelisted (unknown fields are refused); a failure becomes
 * code 1000 whose detail names each field with where it came from: ['query', 'product_id'].
 */
export class FieldValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      exceptionFactory: (errors) => ValidationFailed(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await super.transform(value, metadata);
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
