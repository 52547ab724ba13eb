import { COMMON_PASSWORDS } from './common-passwords';

export const MIN_PASSWORD_LENGTH = 12;

const COMMON = new Set(COMMON_PASSWORDS);
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '!': 'i',
};
/** Keyboard rows (and their shifted digits), for walks like "qwertyuiop" or "1qaz2wsx". */
const KEYBOARD_ROWS = [
  '`1234567890-=',
  '~!@#$%^&*()_+',
  'qwertyuiop[]\\',
  "asdfghjkl;'",
  'zxcvbnm,./',
  'qwertzuiopü',
  'azertyuiop',
  'yxcvbnm',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/',
];

/** Whether b follows a on the same key row, in either direction. */
function adjacentKeys(a: string, b: string): boolean {
  return KEYBOARD_ROWS.some((row) => {
    const i = row.indexOf(a);
    return i >= 0 && (row[i + 1] === b || (i > 0 && row[i - 1] === b));
  });
}

/**
 * Most of the password is one character repeated, an alphabet or digit run ("abcdef",
 * "987654"), or a walk along a keyboard row: 80 % or more of its steps are such steps.
 */
function isRunOrWalk(lower: string): boolean {
  let trivial = 0;
  for (let i = 1; i < lower.length; i++) {
    const step = lower.charCodeAt(i) - lower.charCodeAt(i - 1);
    if (Math.abs(step) <= 1 || adjacentKeys(lower[i - 1], lower[i])) trivial++;
  }
  return trivial >= 0.8 * (lower.length - 1);
}

/** The password is a short unit said again and again ("abcabcabcabc", "pass1pass1pass1"). */
function isShortRepeat(password: string): boolean {
  const m = /^(.+?)\1+$/s.exec(password);
  return m !== null && m[1].length < 8;
}

const unleet = (s: string) => [...s].map((c) => LEET[c] ?? c).join('');
/** What people add around a word to pass a rule: digits and symbols (years, "!", "123"). */
const strip = (s: string) => s.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');

/** A listed password, or a listed stem with only digits and symbols around it, or leetspeak. */
function isCommon(lower: string): boolean {
  const candidates = [
    lower,
    unleet(lower),
    strip(lower),
    unleet(strip(lower)),
    strip(unleet(lower)),
  ];
  return candidates.some((c) => c.length > 0 && COMMON.has(c));
}

/**
 * Why `password` may not be used, or undefined when it may: at least 12 characters, not on the
 * common-password list (also with digits or symbols around it, also in leetspeak), not a short
 * unit repeated, not a run or keyboard walk, and not containing the user's e-mail name.
 */
export function checkPasswordPolicy(password: string, email?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  const lower = password.toLowerCase();
  if (isCommon(lower)) return 'the password is too common (it is on a list of leaked passwords)';
  if (isShortRepeat(password)) return 'the password is a short sequence repeated';
  if (isRunOrWalk(lower)) {
    return 'the password is mostly repeated, consecutive or adjacent-key characters';
  }
  const name = email?.split('@')[0]?.toLowerCase();
  if (name && name.length >= 4 && lower.includes(name)) {
    return 'the password must not contain the e-mail address';
  }
  return undefined;
}
