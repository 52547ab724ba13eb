import { keyUsable } from './api-keys';

describe('keyUsable', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    [{ revokedAt: null, expiresAt: null }, true],
    [{ revokedAt: null, expiresAt: new Date('2026-01-02T00:00:00Z') }, true],
    [{ revokedAt: null, expiresAt: new Date('2026-01-01T00:00:00Z') }, false],
    [{ revokedAt: new Date('2025-12-01T00:00:00Z'), expiresAt: null }, false],
  ])('%o → %s', (key, usable) => expect(keyUsable(key, now)).toBe(usable));
});
