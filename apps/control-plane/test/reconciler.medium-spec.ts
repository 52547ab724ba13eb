import { randomUUID } from 'crypto';
import { FEATURES, STREAM_FEATURES } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { Harness, eventually } from './harness';

// The reconciler against the real Flink: a job cancelled behind the control plane's back is
// reported as drift with a fresh observed_at; the features API shows the producing deployment
// and, for one entity, the value and event time stored in Redis Cluster.
jest.setTimeout(300000);

const h = new Harness();
const job = `drift-${h.id}`;

beforeAll(() => h.start());
afterAll(() => h.stop([job]));

it('records drift when the Flink job stops against the desired state', async () => {
  // The generated job of the features' source, on topics of the test's own.
  const input = await h.topic();
  const prefix = `test.${h.id}.features.`;
  for (const f of STREAM_FEATURES) await h.topic(2, `${prefix}${f.name}`);
  await h.call('POST', '/v1/jobs', {
    body: {
      name: job,
      kind: 'flink-sql',
      source: 'flink-sql/transactions.sql',
      parameters: { TRANSACTIONS_TOPIC: input, FEATURE_TOPIC_PREFIX: prefix },
    },
  });
  const deploy = await h.call('POST', `/v1/jobs/${job}/deployments`, { body: { version: 1 } });
  expect((await h.operation(deploy.body.operation_id)).status).toBe('succeeded');
  const depId = String(deploy.body.target).replace('deployment:', '');
  const get = async () => (await h.call('GET', `/v1/deployments/${depId}`)).body;
  const before = await get();
  expect(before).toMatchObject({ observed_state: 'RUNNING', drift: null, stale: false });

  // Someone cancels the job in the Flink web UI.
  await h.flink.cancel(before.flink_job_id);
  const drifted = await eventually(
    'the reconciler to notice',
    async () => {
      const d = await get();
      return d.observed_state === 'CANCELED' && d;
    },
    30000,
  );
  expect(drifted).toMatchObject({ desired_state: 'running', stale: false });
  expect(drifted.drift).toBe('not running: Flink reports CANCELED');
  expect(new Date(drifted.observed_at).getTime()).toBeGreaterThan(
    new Date(before.observed_at).getTime(),
  );

  // The feature's freshness names its producer and what was last observed of it.
  const feature = await h.call('GET', '/v1/features/last_purchase_amount', { key: h.keys.viewer });
  expect(feature.status).toBe(200);
  expect(feature.body).toMatchObject({
    name: 'last_purchase_amount',
    engine: 'stream',
    key_template: 'last_purchase_amount:{<customer_id>}',
    jobs: [job],
    producer: { deployment_id: depId, observed_state: 'CANCELED' },
  });

  // The operator cancels it for good.
  const cancel = await h.call('POST', `/v1/deployments/${depId}/cancel`, { body: {} });
  expect((await h.operation(cancel.body.operation_id)).status).toBe('succeeded');
  expect(await get()).toMatchObject({ desired_state: 'cancelled', observed_state: 'CANCELED' });
});

it('reads one entity value with its event time from the online store', async () => {
  const store = RedisClusterOnlineStore.fromConfig(h.config, 'fstore-admin');
  const customer = `c-${randomUUID()}`;
  const product = `p-${randomUUID()}`;
  const eventTime = Date.parse('2026-03-01T12:00:00Z');
  try {
    await store.write([
      { feature: 'last_purchase_amount', keyParts: [customer], value: '12.50', eventTime },
      { feature: 'last_review', keyParts: [customer, product], value: 4, eventTime },
    ]);
    const one = await h.call('GET', `/v1/features/last_purchase_amount?entity_id=${customer}`);
    expect(one.body).toMatchObject({
      key: `last_purchase_amount:{${customer}}`,
      value: 12.5,
      event_time: '2026-03-01T12:00:00.000Z',
    });
    const pair = await h.call('GET', `/v1/features/last_review?entity_id=${customer}:${product}`);
    expect(pair.body).toMatchObject({ value: 4 });
    const absent = await h.call('GET', `/v1/features/units_sold?entity_id=nobody-${h.id}`);
    expect(absent.body).toMatchObject({ value: null, event_time: null });
    const bad = await h.call('GET', `/v1/features/last_review?entity_id=${customer}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error_detail[0].loc).toEqual(['query', 'entity_id']);
    const list = await h.call('GET', '/v1/features', { key: h.keys.viewer });
    expect(list.body.features).toHaveLength(FEATURES.length);
  } finally {
    await store.write([
      { feature: 'last_purchase_amount', keyParts: [customer], value: null },
      { feature: 'last_review', keyParts: [customer, product], value: null },
    ]);
    await store.close();
  }
});
