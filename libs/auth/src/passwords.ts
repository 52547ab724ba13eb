import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'crypto';
import { promisify } from 'util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

/** `scrypt$<salt hex>$<hash hex>`: only this is stored, never the password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, hashHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = await scrypt(password, Buffer.from(saltHex, 'hex'), expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * A hash of no one's password (random salt and bytes, with the parameters hashPassword uses).
 * A login for an unknown e-mail is checked against it, so it costs the same scrypt run as a
 * wrong password for a real user: the answer's timing does not tell whether an account exists.
 */
const DUMMY_HASH =
  'scrypt$5f0c2a9d84e1b37c6a0d9e2f41b8c7a3$' +
  '9b1e4f7a2c6d8053e7a1f4c29d6b0e83a5c7f1d2e49b6a087c3d5e1f2a4b6c8d';

/** Runs the same work as verifyPassword for a user that does not exist; always false. */
export async function verifyAgainstNoOne(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}
