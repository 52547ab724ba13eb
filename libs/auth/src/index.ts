export { hashPassword, verifyPassword } from './passwords';
export { isRole, ROLES, roleAllows, type Role } from './roles';
export { InvalidTokenError, TokenSigner, type TokenClaims, type TokenKind } from './tokens';
export { UsersRepository, UsersUnavailableError, type User } from './users.repository';
