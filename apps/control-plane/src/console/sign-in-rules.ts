import type { Role } from '@fstore/auth';
import type { ApiKeyRole } from '@fstore/control-store';
import { ValidationFailed, type ErrorDetail } from '@fstore/rest-api';

/** What a sign-in body carries: an API key, or a serving user's e-mail and password. */
export type SignInCredential =
  { kind: 'api_key'; apiKey: string } | { kind: 'password'; email: string; password: string };

const BOTH = 'give either api_key, or email and password, not both';

/**
 * The one credential of a sign-in body (each field's form is checked by the DTO before): an
 * API key alone, or an e-mail with its password. Anything else is a 400 naming the fields.
 */
export function signInCredential(body: {
  api_key?: string;
  email?: string;
  password?: string;
}): SignInCredential {
  const { api_key: apiKey, email, password } = body;
  if (apiKey !== undefined) {
    const extra = (['email', 'password'] as const).filter((f) => body[f] !== undefined);
    if (extra.length > 0) {
      throw ValidationFailed(
        extra.map((f) => ({ loc: ['body', f], msg: BOTH, type: 'value_error.conflict' })),
      );
    }
    return { kind: 'api_key', apiKey };
  }
  if (email === undefined && password === undefined) {
    throw ValidationFailed([
      {
        loc: ['body', 'api_key'],
        msg: 'field required (or email and password)',
        type: 'value_error.missing',
      },
    ]);
  }
  const missing: ErrorDetail[] = (['email', 'password'] as const)
    .filter((f) => body[f] === undefined)
    .map((f) => ({ loc: ['body', f], msg: 'field required', type: 'value_error.missing' }));
  if (missing.length > 0) throw ValidationFailed(missing);
  return { kind: 'password', email: email!, password: password! };
}

/**
 * The console role of a serving user. Users and API keys share one vocabulary of roles
 * (libs/auth's ROLES: `viewer` reads the control plane, `operator` runs jobs, `admin` also
 * manages keys), so a user's admin, operator or viewer role is the same role in the console.
 * `reader` may only read features: no console role (undefined), so its sign-in is refused.
 */
export function consoleRoleOf(userRole: Role): ApiKeyRole | undefined {
  switch (userRole) {
    case 'admin':
    case 'operator':
    case 'viewer':
      return userRole;
    case 'reader':
      return undefined;
  }
}
