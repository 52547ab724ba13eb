import { Pool } from 'pg';
import { isRole, ROLES, UsersRepository } from '@fstore/auth';
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
  if (password.length < 12) throw new Error('the password must have at least 12 characters');
  const pool = new Pool({ ...loadConfig().postgres, max: 1 });
  try {
    const users = new UsersRepository(pool);
    await users.ensureSchema();
    await users.upsert(email, password, role);
  } finally {
    await pool.end();
  }
}
