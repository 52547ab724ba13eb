import { checkPasswordPolicy } from './password-policy';
import { verifyAgainstNoOne } from './passwords';

describe('checkPasswordPolicy', () => {
  it.each([
    ['short1!', /at least 12 characters/],
    ['aaaaaaaaaaaa', /repeated|consecutive/],
    ['abababababab', /repeated|consecutive/],
    ['abcabcabcabc', /repeated/],
    ['abcdefghijkl', /too common|consecutive/],
    ['123456789012', /consecutive|adjacent/],
    ['qwertyuiopas', /adjacent|too common/],
    ['1qaz2wsx3edc', /adjacent|too common/],
    ['Password2024!', /too common/],
    ['password1234', /too common/],
    ['P@ssw0rd1234', /too common/],
    ['iloveyou1234!', /too common/],
    ['!!Welcome2026', /too common/],
  ])('refuses %j', (password, reason) => {
    expect(checkPasswordPolicy(password)).toMatch(reason);
  });

  it('refuses a password containing the e-mail name', () => {
    expect(checkPasswordPolicy('margaret-hamilton-77', 'margaret@example.com')).toMatch(/e-mail/);
  });

  it.each([
    'a-long-password-of-yours',
    'correct horse battery staple',
    'pw-3f9c1e7a-b2d4',
    'Tr0ub4dor&3xtra',
  ])('accepts %j', (password) => {
    expect(checkPasswordPolicy(password, 'reader@example.com')).toBeUndefined();
  });
});

describe('verifyAgainstNoOne', () => {
  it('costs a scrypt run and never matches', async () => {
    expect(await verifyAgainstNoOne('')).toBe(false);
    expect(await verifyAgainstNoOne('anything at all')).toBe(false);
  });
});
