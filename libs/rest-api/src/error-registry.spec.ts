import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { FEATURES } from '@fstore/contracts';
import { allErrors, duplicateCodes, ERRORS, ErrorEntry, featureNotFound } from './error-registry';

/**
 * The places an error code is spelt as a number: a DomainError's status/code arguments, an
 * error body's error_code, an OpenAPI list of codes, a comparison or property named code. Only
 * the registry may; everything else names an entry (ERRORS.x).
 */
const LITERAL_CODE = [
  /new DomainError\(\s*\d/,
  /error_code['"]?\s*[:=]+\s*\d/,
  /\bcodes\s*:\s*\[\s*\d/,
  /\b(?:error)?[cC]ode\s*(?:===?|!==?|:)\s*[12]\d{3}\b/,
];

/** The lines of `text` that spell an error code (1-based line numbers). */
export function literalCodes(text: string): { line: number; text: string }[] {
  return text
    .split('\n')
    .map((t, i) => ({ line: i + 1, text: t.trim() }))
    .filter(({ text: t }) => !t.startsWith('*') && !t.startsWith('//'))
    .filter(({ text: t }) => LITERAL_CODE.some((re) => re.test(t)));
}

const REGISTRY = join(PROJECT_ROOT, 'libs', 'rest-api', 'src', 'error-registry.ts');

/** Source files of the apps and libs (not tests, not generated code). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) {
      return ['node_modules', 'generated', 'test'].includes(d.name) ? [] : sourceFiles(path);
    }
    if (!/\.(ts|tsx|js|mjs)$/.test(d.name) || /\.(medium-)?spec\.ts$/.test(d.name)) return [];
    return path === REGISTRY ? [] : [path];
  });
}

describe('the error registry', () => {
  const features = Object.values(FEATURES);

  it('gives each code one entry: the fixed ones and the features’ original-API 404s', () => {
    const entries = allErrors(features);
    expect(duplicateCodes(entries)).toEqual([]);
    expect(entries.filter((e) => e.origin === 'original API').map((e) => e.code)).toEqual([
      1000, 1200, 1201, 1400, 1999, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010,
    ]);
  });

  it('finds a code given twice', () => {
    const twin: ErrorEntry = { ...ERRORS.notFound, meaning: 'something else' };
    expect(duplicateCodes([...allErrors(features), twin])).toEqual([1404]);
    const clash = { name: 'x', legacy: { path: '/x', notFoundCode: ERRORS.entityNotFound.code } };
    expect(duplicateCodes(allErrors([...features, clash]))).toEqual([2000]);
  });

  it('keeps the original API’s codes and statuses (docs/legacy-api.md)', () => {
    const legacy = readFileSync(join(PROJECT_ROOT, 'docs', 'legacy-api.md'), 'utf8');
    for (const entry of [
      ERRORS.validation,
      ERRORS.notAuthenticated,
      ERRORS.permissionDenied,
      ERRORS.unavailable,
      ERRORS.unhandled,
    ]) {
      expect(legacy).toMatch(new RegExp(`\\| ${entry.code} \\|[^\\n]*\\b${entry.status}\\b`));
    }
    for (const f of features.filter((f) => f.legacy)) {
      const { code, status } = featureNotFound(f);
      expect([status, legacy.includes(`| ${f.legacy!.path} |`)]).toEqual([404, true]);
      expect(legacy).toMatch(new RegExp(`\\| ${f.legacy!.path} \\|[^\\n]*\\| ${code} \\|`));
    }
  });

  it('spots a code spelt outside the registry', () => {
    expect(literalCodes("new DomainError(404, 1404, 'x')").map((l) => l.line)).toEqual([1]);
    expect(literalCodes('const body = {\n  error_code: 1429,\n};')).toHaveLength(1);
    expect(literalCodes("{ 503: { codes: [1400], description: 'x' } }")).toHaveLength(1);
    expect(literalCodes('if (error.code === 1999) return;')).toHaveLength(1);
    expect(literalCodes('error_code: ERRORS.tooManyRequests.code,')).toEqual([]);
    expect(literalCodes('setTimeout(resolve, 1000); // error_code 1400')).toEqual([]);
  });

  it('is the only source file that spells a code', () => {
    const found = ['apps', 'libs', 'bin'].flatMap((top) =>
      sourceFiles(join(PROJECT_ROOT, top)).flatMap((file) =>
        literalCodes(readFileSync(file, 'utf8')).map(
          (l) => `${relative(PROJECT_ROOT, file)}:${l.line}: ${l.text}`,
        ),
      ),
    );
    expect(found).toEqual([]);
  });
});
