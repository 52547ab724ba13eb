import { npmAuditOutcome, pipAuditOutcome } from './dependency-audit';

describe('the dependency audit', () => {
  it("fails npm audit's high or critical advisories, passes lower ones, and says when the service did not answer", () => {
    const report = (vulnerabilities: Record<string, { severity: string }>) =>
      JSON.stringify({
        vulnerabilities,
        metadata: { vulnerabilities: { total: Object.keys(vulnerabilities).length } },
      });
    expect(
      npmAuditOutcome(report({ axios: { severity: 'high' }, ms: { severity: 'low' } })),
    ).toEqual({
      verdict: 'fail',
      detail: 'high or critical advisories: axios (high)',
    });
    expect(npmAuditOutcome(report({ ms: { severity: 'moderate' } }))).toEqual({
      verdict: 'pass',
      detail: '1 advisories, none high or critical',
    });
    // What this machine's registry answers (npm audit --json, exit 1).
    const refused = JSON.stringify({
      message:
        '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
    });
    expect(npmAuditOutcome(refused)).toEqual({
      verdict: 'unavailable',
      detail:
        '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    });
    expect(npmAuditOutcome('')).toEqual({
      verdict: 'unavailable',
      detail: 'npm audit printed no report',
    });
  });

  it("fails pip-audit's known vulnerabilities and says when nothing could be audited", () => {
    const out = (dependencies: object[]) => JSON.stringify({ dependencies, fixes: [] });
    expect(
      pipAuditOutcome(
        out([
          { name: 'redis', version: '8.1.0', vulns: [] },
          { name: 'pyarrow', version: '1.0', vulns: [{ id: 'PYSEC-1' }, { id: 'GHSA-x' }] },
        ]),
      ),
    ).toEqual({ verdict: 'fail', detail: 'known vulnerabilities: pyarrow 1.0 (PYSEC-1, GHSA-x)' });
    expect(
      pipAuditOutcome(
        out([
          { name: 'redis', version: '8.1.0', vulns: [] },
          { name: 'local-pkg', skip_reason: 'not on PyPI' },
        ]),
      ),
    ).toEqual({ verdict: 'pass', detail: '1 packages, no known vulnerability; 1 not found' });
    // What pip-audit 2.10.1 prints here: every package skipped.
    expect(
      pipAuditOutcome(
        out([
          {
            name: 'certifi',
            skip_reason:
              'Dependency not found on PyPI and could not be audited: certifi (2026.10.19.post1)',
          },
          {
            name: 'redis',
            skip_reason: 'Dependency not found on PyPI and could not be audited: redis (8.1.0)',
          },
        ]),
      ),
    ).toEqual({
      verdict: 'unavailable',
      detail:
        'none of 2 audited (Dependency not found on PyPI and could not be audited: certifi (2026.10.19.post1))',
    });
  });
});
