export { hashPassword, verifyAgainstNoOne, verifyPassword } from './passwords';
export { LoginThrottle, loginLimits, type LoginLimits, type Throttled } from './login-throttle';
export {
  PasswordLogin,
  throttledMessage,
  UNKNOWN_ADDRESS,
  type LoginWarning,
  type PasswordLoginResult,
} from './password-login';
export { checkPasswordPolicy, MIN_PASSWORD_LENGTH } from './password-policy';
export { SessionCheck } from './session-check';
export { isRole, ROLES, roleAllows, type Role } from './roles';
export { InvalidTokenError, TokenSigner, type TokenClaims, type TokenKind } from './tokens';
export {
  UsersRepository,
  UsersSchemaMissingError,
  UsersUnavailableError,
  type RotateResult,
  type User,
} from './users.repository';
