import { InvalidTokenError, TokenSigner } from './tokens';
import { hashPassword, verifyPassword } from './passwords';
import { roleAllows } from './roles';

describe('TokenSigner', () => {
  const signer = new TokenSigner('a-secret-of-enough-length');
  const now = Date.UTC(2026, 0, 1);

  it('verifies what it signed, within its lifetime and kind', () => {
    const token = signer.sign({ sub: 'a@b.c', role: 'reader', kind: 'access', sid: 's1' }, 60, now);
    expect(signer.verify(token, 'access', now + 59000)).toMatchObject({
      sub: 'a@b.c',
      role: 'reader',
    });
    expect(() => signer.verify(token, 'access', now + 60000)).toThrow(/expired/);
    expect(() => signer.verify(token, 'refresh', now)).toThrow(/not an refresh token/);
  });

  it('rejects a token signed with another secret or tampered with', () => {
    const other = new TokenSigner('another-secret-of-enough-length');
    const token = other.sign({ sub: 'a@b.c', role: 'admin', kind: 'access', sid: 's1' }, 60, now);
    expect(() => signer.verify(token, 'access', now)).toThrow(InvalidTokenError);
    const mine = signer.sign({ sub: 'a@b.c', role: 'reader', kind: 'access', sid: 's1' }, 60, now);
    const [h, , s] = mine.split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'a@b.c', role: 'admin', kind: 'access', exp: 9e9 }),
    ).toString('base64url');
    expect(() => signer.verify(`${h}.${forged}.${s}`, 'access', now)).toThrow(/bad signature/);
    expect(() => signer.verify('garbage', 'access', now)).toThrow(/malformed/);
  });

  it('carries the session and, in a refresh token, its rotation number', () => {
    const refresh = signer.sign(
      { sub: 'a@b.c', role: 'reader', kind: 'refresh', sid: 's9', gen: 3 },
      60,
      now,
    );
    expect(signer.verify(refresh, 'refresh', now)).toMatchObject({ sid: 's9', gen: 3 });
    const noGen = signer.sign(
      { sub: 'a@b.c', role: 'reader', kind: 'refresh', sid: 's9' },
      60,
      now,
    );
    expect(() => signer.verify(noGen, 'refresh', now)).toThrow(/rotation number/);
    // A token of before sessions (no sid) is refused: its holder logs in again.
    const legacy = signer.sign({ sub: 'a@b.c', role: 'reader', kind: 'access' } as never, 60, now);
    expect(() => signer.verify(legacy, 'access', now)).toThrow(/missing session/);
  });
});

describe('passwords and roles', () => {
  it('stores a salted hash that only the right password matches', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('wrong', stored)).toBe(false);
  });

  it('grants downwards only', () => {
    expect(roleAllows('admin', ['reader'])).toBe(true);
    expect(roleAllows('reader', ['operator'])).toBe(false);
    expect(roleAllows('operator', ['viewer'])).toBe(true);
  });
});
