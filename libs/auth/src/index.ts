export { hashPassword, verifyAgainstNoOne, verifyPassword } from './passwords';
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
