import { REGISTRY } from '@fstore/contracts';
import { exportDefinitions } from '@fstore/definitions';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/api-keys.service';
import { InMemoryControlStore } from '../store/in-memory';
import { DesiredJob } from './feature-plan';
import { FeaturesService, LazyOnlineStore } from './features.service';
import { PlanRequestDto } from './features-plan.dto';

const operator: Principal = { actor: 'key:test-operator', role: 'operator', keyId: 'k1' };
const exported = exportDefinitions(REGISTRY);
const streamNames = exported.features.filter((f) => f.engine === 'stream').map((f) => f.name);
const job = (sha: string): DesiredJob => ({
  name: 'features-transactions',
  source: 'transactions',
  file: 'flink-sql/transactions.sql',
  sha256: sha,
  features: streamNames,
});
const request = (definitions = exported, sha = 'a'.repeat(64)): PlanRequestDto =>
  ({ definitions, jobs: [job(sha)] }) as PlanRequestDto;

function setUp() {
  const store = new InMemoryControlStore();
  const audit = new AuditService(store.audit);
  const noStore = Object.assign(
    () => {
      throw new Error('the online store is not used here');
    },
    { close: () => undefined },
  ) as LazyOnlineStore;
  const features = new FeaturesService(store.featureRegistry, store.transactions, noStore, audit);
  return { store, audit, features };
}

describe('FeaturesService (the registry rules, on an in-memory store)', () => {
  it('a first apply records version 1 of every feature, with who applied it, and audits it', async () => {
    const { store, features } = setUp();
    const result = await features.apply(request(), operator);
    expect(result.applied).toEqual(exported.features.map((f) => ({ name: f.name, version: 1 })));
    const latest = await store.featureRegistry.latest();
    expect(latest.map((r) => [r.name, r.version, r.appliedBy, r.removed])).toEqual(
      [...exported.features]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((f) => [f.name, 1, operator.actor, false]),
    );
    const audited = await store.audit.list({ limit: 10 });
    expect(audited.map((a) => [a.action, a.outcome])).toEqual([['features.apply', 'succeeded']]);
  });

  it('applying the same definitions again records nothing; the plan says so', async () => {
    const { store, features } = setUp();
    await features.apply(request(), operator);
    const again = await features.apply(request(), operator);
    expect(again.applied).toEqual([]);
    expect(again.features.every((f) => f.change === 'none')).toBe(true);
    expect((await store.featureRegistry.latest()).every((r) => r.version === 1)).toBe(true);
  });

  it('a changed definition gets the next version; a removed one a version marked removed', async () => {
    const { store, features } = setUp();
    await features.apply(request(), operator);
    const [first, second, ...rest] = exported.features;
    const changed = { ...first, compute_hash: `${first.compute_hash}-changed` };
    const next = await features.apply(
      request({ ...exported, features: [changed, ...rest] }),
      operator,
    );
    expect(next.applied).toEqual([
      { name: first.name, version: 2 },
      { name: second.name, version: 2 },
    ]);
    const latest = await store.featureRegistry.latest();
    expect(latest.find((r) => r.name === first.name)).toMatchObject({
      version: 2,
      computeHash: changed.compute_hash,
      removed: false,
    });
    expect(latest.find((r) => r.name === second.name)).toMatchObject({ version: 2, removed: true });
  });

  it('when the audit record fails, no version is recorded (one transaction)', async () => {
    const { store, audit, features } = setUp();
    jest.spyOn(audit, 'record').mockRejectedValueOnce(new Error('audit down'));
    await expect(features.apply(request(), operator)).rejects.toThrow('audit down');
    expect(await store.featureRegistry.latest()).toEqual([]);
  });

  it('a request of another export format is refused naming the field, before anything is read', async () => {
    const { features } = setUp();
    const bad = request({ ...exported, format: 99 } as unknown as typeof exported);
    await expect(features.plan(bad)).rejects.toMatchObject({
      status: 400,
      detail: [expect.objectContaining({ loc: ['body', 'definitions', 'format'] })],
    });
  });

  it('versions lists every applied version newest first: who, when, removed, the definition as applied', async () => {
    const { features } = setUp();
    const admin: Principal = { actor: 'key:test-admin', role: 'admin', keyId: 'k2' };
    await features.apply(request(), operator);
    const [first, second, ...rest] = exported.features;
    const described = { ...first, description: `${first.description} (re-described)` };
    await features.apply(request({ ...exported, features: [described, ...rest] }), admin);

    const changed = await features.versions(first.name);
    expect(changed.name).toBe(first.name);
    expect(changed.versions.map(({ applied_at: _at, ...v }) => v)).toEqual([
      { version: 2, applied_by: admin.actor, removed: false, definition: described },
      { version: 1, applied_by: operator.actor, removed: false, definition: first },
    ]);
    const [newest, oldest] = changed.versions.map((v) => v.applied_at.getTime());
    expect(newest).toBeGreaterThanOrEqual(oldest);

    const removed = await features.versions(second.name);
    expect(removed.versions.map((v) => [v.version, v.applied_by, v.removed])).toEqual([
      [2, admin.actor, true],
      [1, operator.actor, false],
    ]);
    // A removal records the definition it removed.
    expect(removed.versions[0].definition).toEqual(second);
  });

  it('versions of a feature never applied is a 404 naming the feature', async () => {
    const { features } = setUp();
    await features.apply(request(), operator);
    await expect(features.versions('no_such_feature')).rejects.toMatchObject({
      status: 404,
      code: 1404,
      message: 'feature no_such_feature has no applied versions',
      detail: [
        {
          loc: ['path', 'name'],
          msg: 'no version of this feature was applied with fstore apply',
          type: 'lookup_error.no_versions',
        },
      ],
    });
  });
});
