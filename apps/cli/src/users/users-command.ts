import { Pool } from 'pg';
import { checkPasswordPolicy, isRole, ROLES, UsersRepository } from '@fstore/auth';
import { loadConfig } from '@fstore/config';

async function readPassword(): Promise<string> {
  if (process.env.FSTORE_NEW_USER_PASSWORD) return process.env.FSTORE_NEW_USER_PASSWORD;
  if (process.stdin.isTTY) {
    throw new Error('give the password on standard input or in FSTORE_NEW_USER_PASSWORD');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `fstore users add`: creates or updates a user who may log in, with one role. */
export async function addUser(email: string, role: string): Promise<void> {
  if (!isRole(role)) throw new Error(`unknown role "${role}" (one of: ${ROLES.join(', ')})`);
  const password = await readPassword();
  const refused = checkPasswordPolicy(password, email);
  if (refused) throw new Error(`${refused}; choose another (nothing was saved)`);
  await withUsers((users) => users.upsert(email, password, role));
}

/**
 * `fstore users remove`: deletes the user and their sessions; the feature servers refuse their
 * tokens from their next session check on (FSTORE_AUTH_REVOCATION_CHECK_SECONDS).
 */
export async function removeUser(email: string): Promise<void> {
  const removed = await withUsers((users) => users.remove(email));
  if (!removed) throw new Error(`no user ${email}`);
}

/**
 * As the tables' owner. The tables come from the migrations (`fstore migrate`, the control plane
 * at boot, `fstore stack up postgres`): without them the work fails with UsersSchemaMissingError,
 * which names the command to run.
 */
async function withUsers<T>(work: (users: UsersRepository) => Promise<T>): Promise<T> {
  const pool = new Pool({ ...loadConfig().postgres, max: 1 });
  try {
    return await work(new UsersRepository(pool));
  } finally {
    await pool.end();
  }
}
