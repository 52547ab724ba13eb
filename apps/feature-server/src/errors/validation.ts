import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorDetail, ValidationFailed } from './domain-errors';

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
