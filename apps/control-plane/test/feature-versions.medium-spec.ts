import { REGISTRY } from '@fstore/contracts';
import { exportDefinitions } from '@fstore/definitions';
import { Harness } from './harness';

// GET /v1/features/{name}/versions over HTTP against PostgreSQL: the versions `apply` recorded,
// newest first, with who applied them and the definition as applied; any role reads them; a
// feature without versions is a 404 naming it. Applying only records rows: nothing is deployed.
jest.setTimeout(120000);

const h = new Harness();
const exported = exportDefinitions(REGISTRY);
const [first, ...rest] = exported.features;
const described = { ...first, description: `${first.description} (described again ${h.id})` };

beforeAll(async () => {
  await h.start({ worker: false, reconciler: false });
  const once = await h.call('POST', '/v1/features/apply', {
    key: h.keys.operator,
    body: { definitions: exported, jobs: [] },
  });
  expect(once.status).toBe(200);
  const twice = await h.call('POST', '/v1/features/apply', {
    key: h.keys.admin,
    body: { definitions: { ...exported, features: [described, ...rest] }, jobs: [] },
  });
  expect(twice.status).toBe(200);
  expect(twice.body.applied).toEqual([{ name: first.name, version: 2 }]);
});
afterAll(() => h.stop([]));

it('a viewer reads the versions newest first: number, who, when, removed, the definition', async () => {
  const res = await h.call('GET', `/v1/features/${first.name}/versions`, { key: h.keys.viewer });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    name: first.name,
    versions: [
      {
        version: 2,
        applied_by: 'key:test-admin',
        applied_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        removed: false,
        definition: JSON.parse(JSON.stringify(described)),
      },
      {
        version: 1,
        applied_by: 'key:test-operator',
        applied_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        removed: false,
        definition: JSON.parse(JSON.stringify(first)),
      },
    ],
  });
  const [newest, oldest] = res.body.versions.map((v: { applied_at: string }) =>
    Date.parse(v.applied_at),
  );
  expect(newest).toBeGreaterThanOrEqual(oldest);
  // The catalog's registry version is the newest one listed.
  const detail = await h.call('GET', `/v1/features/${first.name}`, { key: h.keys.viewer });
  expect(detail.body).toMatchObject({
    registry_version: 2,
    applied_by: 'key:test-admin',
    applied_at: res.body.versions[0].applied_at,
  });
});

it('a feature with no versions is a 404 naming it; without a key a 401', async () => {
  const res = await h.call('GET', '/v1/features/no_such_feature/versions', { key: h.keys.viewer });
  expect(res.status).toBe(404);
  expect(res.body).toEqual({
    error_code: 1404,
    error_message: 'feature no_such_feature has no applied versions',
    error_detail: [
      {
        loc: ['path', 'name'],
        msg: 'no version of this feature was applied with fstore apply',
        type: 'lookup_error.no_versions',
      },
    ],
  });
  const anonymous = await h.call('GET', `/v1/features/${first.name}/versions`, { key: null });
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error_code).toBe(1200);
});
