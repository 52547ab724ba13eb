import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { FEATURES_DIR, REGISTRY } from '@fstore/contracts';
import {
  buildRegistry,
  CompiledStreamJob,
  compileStreamJobs,
  feature,
  lastK,
  loadDefinitionModules,
} from '@fstore/definitions';
import { FlinkJobs } from '@fstore/flink';
import { customer } from '../../features/entities';
import { transactions } from '../../features/sources';

// The generated job's plan as the real Flink makes it (EXPLAIN through the SQL Gateway; nothing
// is submitted). The SQL says the source is read and deduplicated once for all its features:
// this holds the planner to it, and shows why the script sets the digest reuse.
const flink = FlinkJobs.fromConfig(loadConfig());
const jobOf = (registry: typeof REGISTRY) =>
  compileStreamJobs(registry).find((j) => j.source === 'transactions')!;
const job = jobOf(REGISTRY);
const DIGEST_REUSE = 'table.optimizer.reuse-optimize-block-with-digest-enabled';
jest.setTimeout(120000);

/** The "Optimized Execution Plan" part of EXPLAIN of the job's statement set. */
async function executionPlan(
  { sql, values }: CompiledStreamJob,
  { withoutSet }: { withoutSet?: string } = {},
): Promise<string> {
  const statements = flink.prepare(sql, {
    ...values,
    FEATURE_TOPIC_PREFIX: 'test.job-plan.features.',
    CONSUMER_GROUP: 'test-job-plan-transactions',
  });
  const session = await flink.gateway.openSession({ name: 'test-job-plan', properties: {} });
  try {
    let explained = '';
    for (const s of statements) {
      if (s.kind === 'set' && withoutSet && s.sql.includes(withoutSet)) continue;
      if (s.kind !== 'statement-set') {
        await flink.gateway.execute(session, s.sql);
        continue;
      }
      const result = await flink.gateway.execute(
        session,
        `EXPLAIN ${s.sql.replace(/^EXECUTE\s+/i, '')}`,
      );
      explained = String(result.rows[0][0]);
    }
    const at = explained.indexOf('== Optimized Execution Plan ==');
    expect(at).toBeGreaterThanOrEqual(0);
    return explained.slice(at);
  } finally {
    await flink.gateway.closeSession(session);
  }
}

const dedupes = (plan: string) => plan.match(/\bDeduplicate\(/g)?.length ?? 0;

describe('the generated job of source transactions', () => {
  it('deduplicates the source once, insert-only, for all its features', async () => {
    expect(job.sql).toContain(`SET '${DIGEST_REUSE}' = 'true';`);
    const plan = await executionPlan(job);
    expect(dedupes(plan)).toBe(1);
    expect(plan).toMatch(
      /Deduplicate\(keep=\[FirstRow\], key=\[event_id\], order=\[PROCTIME\], outputInsertOnly=\[true\]\)/,
    );
    // The "latest" Top-Ns take inserts only: a Top-N fed retractions keeps every row of its key.
    expect(plan).toMatch(/Rank\(strategy=\[AppendFastStrategy\]/);
    expect(plan).not.toMatch(/RetractStrategy/);
    // Every feature's changelog is written.
    for (const feature of job.features) expect(plan).toContain(`${feature}_changelog]`);
  });

  it('keeps two Top-Ns of the same keys, filter and value apart', async () => {
    // last_purchase_amount and this one both rank the customer's amounts: planned as one shared
    // block, the ROW_NUMBER without its bound was no Top-N and Flink refused the job.
    const sumOfLastTwo = feature({
      name: 'test_sum_of_last_two',
      entity: customer,
      source: transactions,
      engine: 'stream',
      aggregation: lastK(2, 'sum'),
      of: 'amount',
      type: 'decimal',
      description: 'Sum of the 2 latest amounts of the customer (a test feature)',
      owner: 'tests',
    });
    const registry = buildRegistry([
      ...loadDefinitionModules(FEATURES_DIR, PROJECT_ROOT),
      { file: 'features/test_sum_of_last_two.ts', exports: { default: sumOfLastTwo } },
    ]);
    const plan = await executionPlan(jobOf(registry));
    expect(dedupes(plan)).toBe(1);
    expect(plan.match(/Rank\(strategy=\[AppendFastStrategy\]/g)).toHaveLength(5);
    expect(plan).not.toMatch(/RetractStrategy/);
    expect(plan).toContain('test_sum_of_last_two_changelog]');
  });

  it('without the digest reuse, gets a dedupe per set of columns the features read', async () => {
    // If this starts to fail with 1, Flink plans the shared view once by itself and the SET in
    // the compiler (libs/definitions/src/flink-compiler.ts) can go.
    expect(dedupes(await executionPlan(job, { withoutSet: DIGEST_REUSE }))).toBeGreaterThan(1);
  });
});
