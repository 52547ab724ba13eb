import { exportDefinitions } from '@fstore/definitions';
import { REGISTRY } from '@fstore/contracts';
import {
  DesiredJob,
  ExportedFeature,
  LiveJob,
  planChanges,
  RegisteredFeature,
} from './feature-plan';

const desired = exportDefinitions(REGISTRY);
const byName = (n: string) => desired.features.find((f) => f.name === n)!;
const registered = (features: ExportedFeature[]): RegisteredFeature[] =>
  features.map((f) => ({
    name: f.name,
    version: 1,
    computeHash: f.compute_hash,
    removed: false,
    definition: f,
  }));
const streamNames = desired.features.filter((f) => f.engine === 'stream').map((f) => f.name);
const job = (sha: string): DesiredJob => ({
  name: 'features-transactions',
  source: 'transactions',
  file: 'flink-sql/transactions.sql',
  sha256: sha,
  features: streamNames,
});
const live = (sha: string, desiredState = 'running'): LiveJob => ({
  name: 'features-transactions',
  deploymentId: 'd1',
  desiredState,
  sha256: sha,
});
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('planChanges', () => {
  it('an empty registry: every feature added, the job deployed, the batch features backfilled', () => {
    const plan = planChanges(desired, [], [job(A)], []);
    expect(plan.features.every((f) => f.change === 'add' && f.recompute)).toBe(true);
    expect(plan.jobs).toEqual([expect.objectContaining({ action: 'deploy', state: 'recomputed' })]);
    expect(plan.backfills.map((b) => b.feature).sort()).toEqual(
      desired.features
        .filter((f) => f.engine === 'batch')
        .map((f) => f.name)
        .sort(),
    );
    expect(plan.nothing_to_do).toBe(false);
  });

  it('right after an apply: nothing to do', () => {
    const plan = planChanges(desired, registered(desired.features), [job(A)], [live(A)]);
    expect(plan.features.every((f) => f.change === 'none')).toBe(true);
    expect(plan.jobs).toEqual([expect.objectContaining({ action: 'none' })]);
    expect(plan.backfills).toEqual([]);
    expect(plan.nothing_to_do).toBe(true);
  });

  it('a changed K: the feature changes, the job is recomputed from the beginning of the topic', () => {
    const before = { ...byName('avg_review'), k: 5, compute_hash: 'old' };
    const others = desired.features.filter((f) => f.name !== 'avg_review');
    const plan = planChanges(desired, registered([before, ...others]), [job(B)], [live(A)]);
    expect(plan.features.find((f) => f.name === 'avg_review')).toMatchObject({
      change: 'change',
      from_version: 1,
      recompute: true,
    });
    expect(plan.jobs).toEqual([
      expect.objectContaining({
        action: 'recompute',
        state: 'recomputed',
        reason: 'change avg_review',
      }),
    ]);
  });

  it('a new description only: the values stay, the job is upgraded keeping its state', () => {
    const before = { ...byName('avg_review'), description: 'old words' };
    const others = desired.features.filter((f) => f.name !== 'avg_review');
    const plan = planChanges(desired, registered([before, ...others]), [job(B)], [live(A)]);
    expect(plan.features.find((f) => f.name === 'avg_review')).toMatchObject({
      change: 'describe',
      recompute: false,
    });
    expect(plan.jobs).toEqual([expect.objectContaining({ action: 'upgrade', state: 'kept' })]);
  });

  it('a removed stream feature: listed as removed and its job recomputed without it', () => {
    const gone = { ...byName('last_review'), name: 'gone_feature', compute_hash: 'x' };
    const plan = planChanges(desired, registered([...desired.features, gone]), [job(B)], [live(A)]);
    expect(plan.features.find((f) => f.name === 'gone_feature')).toMatchObject({
      change: 'remove',
    });
    expect(plan.jobs[0]).toMatchObject({ action: 'recompute', reason: 'remove gone_feature' });
  });

  it('a source with no stream feature left: its live job is cancelled', () => {
    const noStream = { ...desired, features: desired.features.filter((f) => f.engine === 'batch') };
    const plan = planChanges(noStream, registered(desired.features), [], [live(A)]);
    expect(plan.jobs).toEqual([expect.objectContaining({ action: 'cancel' })]);
    expect(
      plan.features
        .filter((f) => f.change === 'remove')
        .map((f) => f.name)
        .sort(),
    ).toEqual([...streamNames].sort());
  });

  it('a paused job running the same SQL is resumed', () => {
    const plan = planChanges(desired, registered(desired.features), [job(A)], [live(A, 'paused')]);
    expect(plan.jobs).toEqual([expect.objectContaining({ action: 'resume', state: 'kept' })]);
    expect(plan.nothing_to_do).toBe(false);
  });
});

describe('planChanges: stored definitions', () => {
  it('a definition read back from jsonb (fields in another order) is unchanged', () => {
    const reordered = desired.features.map(
      (f) => Object.fromEntries(Object.entries(f).reverse()) as ExportedFeature,
    );
    const plan = planChanges(desired, registered(reordered), [job(A)], [live(A)]);
    expect(plan.nothing_to_do).toBe(true);
  });
});

describe('the window text', () => {
  it('a version recorded before the export carried `window` plans as unchanged', () => {
    const old = desired.features.map((f) => {
      const copy: ExportedFeature = { ...f };
      delete copy.window;
      return copy;
    });
    const plan = planChanges(desired, registered(old), [job(A)], [live(A)]);
    expect(plan.features.filter((f) => f.change !== 'none')).toEqual([]);
    expect(plan.nothing_to_do).toBe(true);
  });
});
