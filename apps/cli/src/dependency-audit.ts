/**
 * The dependency audit of the test run (issue 20; policy in docs/security.md): `npm audit` over the
 * packages the images run and `pip-audit` over the project venv's packages. A high or critical
 * advisory fails it. When the advisory service does not answer (this machine's registry mirror
 * refuses npm's bulk advisory POST with 405, and PyPI's JSON API that pip-audit asks is not
 * served), the audit is reported as not run, with the reason, instead of passing or failing.
 */

export type AuditVerdict = 'pass' | 'fail' | 'unavailable';

export interface AuditOutcome {
  verdict: AuditVerdict;
  detail: string;
}

const BLOCKING = new Set(['high', 'critical']);

/** `npm audit --json`'s output: the advisories' severities, or why there are none. */
export function npmAuditOutcome(output: string): AuditOutcome {
  let report: {
    message?: string;
    metadata?: { vulnerabilities?: Record<string, number> };
    vulnerabilities?: Record<string, { severity?: string }>;
  };
  try {
    report = JSON.parse(output) as typeof report;
  } catch {
    return { verdict: 'unavailable', detail: 'npm audit printed no report' };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) {
    return { verdict: 'unavailable', detail: report.message ?? 'npm audit printed no report' };
  }
  const blocking = Object.entries(report.vulnerabilities ?? {})
    .filter(([, v]) => BLOCKING.has(v.severity ?? ''))
    .map(([name, v]) => `${name} (${v.severity})`);
  if (blocking.length > 0) {
    return { verdict: 'fail', detail: `high or critical advisories: ${blocking.join(', ')}` };
  }
  return { verdict: 'pass', detail: `${counts.total ?? 0} advisories, none high or critical` };
}

/**
 * `pip-audit --format json`'s output. pip-audit gives no severity: any known vulnerability fails
 * (the policy's "high or critical" is then judged by a person, who may pin an exception).
 */
export function pipAuditOutcome(output: string): AuditOutcome {
  let report: {
    dependencies?: {
      name: string;
      version?: string;
      vulns?: { id: string }[];
      skip_reason?: string;
    }[];
  };
  try {
    report = JSON.parse(output) as typeof report;
  } catch {
    return { verdict: 'unavailable', detail: 'pip-audit printed no report' };
  }
  const deps = report.dependencies ?? [];
  const audited = deps.filter((d) => d.skip_reason === undefined);
  if (audited.length === 0) {
    const reason = deps[0]?.skip_reason ?? 'no dependency listed';
    return { verdict: 'unavailable', detail: `none of ${deps.length} audited (${reason})` };
  }
  const vulnerable = audited.filter((d) => (d.vulns ?? []).length > 0);
  if (vulnerable.length > 0) {
    const list = vulnerable.map(
      (d) => `${d.name} ${d.version ?? ''} (${d.vulns!.map((v) => v.id).join(', ')})`,
    );
    return { verdict: 'fail', detail: `known vulnerabilities: ${list.join('; ')}` };
  }
  const skipped = deps.length - audited.length;
  return {
    verdict: 'pass',
    detail:
      `${audited.length} packages, no known vulnerability` +
      (skipped ? `; ${skipped} not found` : ''),
  };
}
