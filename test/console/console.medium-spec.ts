import { randomBytes, randomUUID } from 'crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { UsersRepository } from '@fstore/auth';
import { ControlPlaneClient, type PlanRequest } from '@fstore/client';
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { REGISTRY } from '@fstore/contracts';
import { createControlApiKey } from '@fstore/control-store';
import { exportDefinitions } from '@fstore/definitions';
import { FlinkJobs } from '@fstore/flink';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { launchChromium, screenshot, seriousAxeViolations } from '../support/browser';
import { fstore } from '../support/cli';

// The web console in Debian's chromium against the running stack: the control plane serves it
// under /console/; every role signs in; a streaming deployment is paused and resumed from the page.
jest.setTimeout(600000);

const config = loadConfig();
const run = randomBytes(4).toString('hex');
const base = config.control.url;
const CONSOLE = `${base}/console/`;
const ROLES = ['admin', 'operator', 'viewer'] as const;
const keys: Record<(typeof ROLES)[number], string> = { admin: '', operator: '', viewer: '' };
const job = `console-${run}`;
const product = `console-${run}`;
const EVENT_TIME = Date.UTC(2026, 0, 2, 3, 4, 5);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
// A feature of this test's own in the registry (a batch feature like units_sold, so no streaming
// job runs it), applied twice with another description; removed again at the end.
const VERSIONED = `console_${run}`;
const stackDefinitions = exportDefinitions(REGISTRY);
const unitsSold = stackDefinitions.features.find((f) => f.name === 'units_sold')!;
const versioned = (description: string): (typeof stackDefinitions.features)[number] => ({
  ...unitsSold,
  name: VERSIONED,
  description,
});

// Serving-side users (fstore users add) of this test's own, who sign in with e-mail and password.
const userEmail = (role: string) => `console-${run}-${role}@example.com`;
const USER_PASSWORD = `${randomUUID()}-Aa1`;
const usersPool = new Pool({ ...config.postgres, max: 1 });
const users = new UsersRepository(usersPool);

let browser: Browser;
let operatorApi: ControlPlaneClient;
let deploymentId = '';
/** The stack's definitions with these features, as the plan/apply request carries them. */
const planDefinitions = (features: typeof stackDefinitions.features) =>
  ({ ...stackDefinitions, features }) as unknown as PlanRequest['definitions'];
let applied = false;
const topics: string[] = [];
const kafka = new Kafka({
  // The tests' Kafka user (topics of their own: create, delete).
  ...kafkaClientConfig(config, 'fstore-admin'),
  clientId: `console-test-${run}`,
  logLevel: logLevel.NOTHING,
});

beforeAll(async () => {
  for (const role of ROLES)
    keys[role] = await createControlApiKey(config, `console-${run}-${role}`, role);
  for (const role of ['operator', 'viewer'] as const) {
    await users.upsert(userEmail(role), USER_PASSWORD, role);
  }
  operatorApi = new ControlPlaneClient({ baseUrl: base, apiKey: keys.operator });
  // A value of a real feature for one entity, to look up in the page.
  const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
  try {
    await store.write([
      { feature: 'units_sold', keyParts: [product], value: 42, eventTime: EVENT_TIME },
    ]);
  } finally {
    await store.close();
  }
  // A streaming job of this test's own (its own topics), deployed and running.
  const admin = kafka.admin();
  await admin.connect();
  for (const t of ['in', 'out']) topics.push(`test.${job}.${t}`);
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  await operatorApi.registerJob({
    name: job,
    kind: 'flink-sql',
    source: 'flink-sql/last_purchase_amount.sql',
    parameters: { TRANSACTIONS_TOPIC: topics[0], FEATURE_TOPIC: topics[1] },
  });
  const accepted = await operatorApi.deploy(job, 1);
  expect(await operatorApi.waitForOperation(accepted.operation_id, 300000)).toMatchObject({
    status: 'succeeded',
  });
  deploymentId = accepted.target.replace('deployment:', '');
  browser = await launchChromium((m) => process.stderr.write(`${m}\n`));
});

afterAll(async () => {
  await browser?.close();
  for (const role of ['operator', 'viewer']) await users.remove(userEmail(role)).catch(() => false);
  await usersPool.end();
  // The stack's registry as the checkout defines it: the test's feature removed (a version too).
  if (applied) {
    await operatorApi
      .apply({ definitions: planDefinitions(stackDefinitions.features), jobs: [] })
      .catch(() => undefined);
  }
  if (deploymentId) {
    const dep = await operatorApi.getDeployment(deploymentId).catch(() => undefined);
    if (dep && dep.desired_state !== 'cancelled') {
      const op = await operatorApi.cancel(deploymentId).catch(() => undefined);
      if (op) await operatorApi.waitForOperation(op.operation_id, 300000).catch(() => undefined);
    }
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  const adminApi = new ControlPlaneClient({ baseUrl: base, apiKey: keys.admin });
  for (const k of await adminApi.listApiKeys().catch(() => [])) {
    if (k.name.startsWith(`console-${run}-`) && k.name !== `console-${run}-admin`)
      await adminApi.revokeApiKey(k.id);
  }
  const own = (await adminApi.listApiKeys().catch(() => [])).find(
    (k) => k.name === `console-${run}-admin`,
  );
  if (own) await adminApi.revokeApiKey(own.id);
});

/** A browser context of its own (its own cookies), with the page's errors collected. */
async function newPage(
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, baseURL: base });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused request (401 at start, the forged 403, the reversed backfill's 400) is the test's
    // own doing; a CSP report is not.
    if (m.type() === 'error' && !/status of 40[0134]/.test(m.text())) problems.push(m.text());
  });
  return { context, page, problems };
}

async function signIn(page: Page, role: (typeof ROLES)[number]): Promise<void> {
  await page.goto(CONSOLE);
  await page.getByLabel('Control-plane API key').fill(keys[role]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
  expect(await page.getByTestId('who').textContent()).toBe(`key:console-${run}-${role} (${role})`);
}

/** A serving user signs in with e-mail and password, chosen with the radio button. */
async function signInAsUser(page: Page, email: string, password: string): Promise<void> {
  await page.goto(CONSOLE);
  await page.getByRole('radio', { name: 'E-mail and password' }).check();
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function checkPage(page: Page, name: string): Promise<void> {
  expect(await seriousAxeViolations(page)).toEqual([]);
  await screenshot(page, name);
}

const go = async (page: Page, hash: string, heading: string) => {
  await page.goto(`${CONSOLE}#/${hash}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
};

describe('web console', () => {
  it('is served under /console/ with a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(CONSOLE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="app.js"></script>');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect((await fetch(`${base}/console/app.js`)).headers.get('content-type')).toMatch(
      /javascript/,
    );
  });

  it('refuses a wrong key on the sign-in page, which has no serious accessibility violation', async () => {
    for (const [viewport, suffix] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ] as const) {
      const { context, page, problems } = await newPage(viewport);
      await page.goto(CONSOLE);
      await page.getByRole('heading', { name: 'Sign in to the fstore console' }).waitFor();
      await checkPage(page, `sign-in-${suffix}`);
      await page.getByLabel('Control-plane API key').fill('fsk_not-a-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.getByRole('alert').textContent()).toBe(
        'Not authenticated: unknown, revoked or expired API key',
      );
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it('shows an admin every page, at desktop and phone width, without serious accessibility violations', async () => {
    for (const [viewport, suffix] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ] as const) {
      const { context, page, problems } = await newPage(viewport);
      await signIn(page, 'admin');
      // The cookie is HttpOnly: no page script can read the session.
      expect(await page.evaluate('document.cookie')).toBe('');
      const cookie = (await context.cookies()).find((c) => c.name === 'fstore_console')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      await go(page, 'features', 'Features');
      await page.locator('tr[data-feature="units_sold"]').waitFor();
      await checkPage(page, `features-${suffix}`);
      await go(page, 'features/units_sold', 'units_sold');
      await page.getByText('Registry version').waitFor();
      await checkPage(page, `feature-detail-${suffix}`);
      await go(page, 'jobs', 'Jobs');
      await page.locator(`tr[data-deployment="${deploymentId}"]`).waitFor();
      await checkPage(page, `jobs-${suffix}`);
      await go(page, 'audit', 'Audit log');
      await page.locator('tbody tr').first().waitFor();
      await checkPage(page, `audit-${suffix}`);
      await go(page, 'health', 'Health');
      await page.locator('[data-component="postgres"]').waitFor();
      expect(await page.locator('[data-component="postgres"] .badge').textContent()).toBe('ok');
      await page.getByRole('heading', { level: 3, name: 'Scrape targets up' }).waitFor();
      // The requests the tests made are in Prometheus: the reads-per-second chart has a line (the
      // charts refresh every 60 s).
      // Attached, not visible: a constant rate (the scrapes alone) is drawn as a horizontal line,
      // whose box has no height, and Playwright counts an empty box as hidden.
      const chart = page.getByTestId('chart-serving_requests_per_second');
      await chart.locator('polyline').first().waitFor({ state: 'attached', timeout: 75000 });
      const points = await chart.locator('polyline').first().getAttribute('points');
      expect(points?.trim().split(/\s+/).length).toBeGreaterThanOrEqual(2);
      expect(await chart.getByRole('img').getAttribute('aria-label')).toMatch(
        /^Feature reads per second, per instance over the last 60 minutes, from /,
      );
      await checkPage(page, `health-${suffix}`);
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it("finds a feature and reads an entity's value and event time equal to the API's", async () => {
    const { context, page, problems } = await newPage();
    await signIn(page, 'viewer');
    await page.getByRole('searchbox', { name: 'Search' }).fill('units_sold');
    await page.getByLabel('Engine').selectOption('batch');
    await page.getByLabel('Tag').selectOption('seed');
    const row = page.locator('tr[data-feature="units_sold"]');
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual([
      'product',
      'sum over 30d',
      'batch',
      'int',
      'catalog-ml · units, seed',
      expect.any(String),
      expect.any(String),
      expect.any(String),
      'Sum of quantity in the 30 days up to the as-of time',
    ]);
    expect(
      await page
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature'))),
    ).toEqual(expect.arrayContaining(['units_sold']));
    await row.getByRole('link', { name: 'units_sold' }).click();
    await page.getByRole('heading', { level: 1, name: 'units_sold' }).waitFor();
    await page.getByLabel('product id').fill(product);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByTestId('lookup').waitFor();
    const api = await operatorApi.getFeature('units_sold', product);
    expect(api).toMatchObject({ value: 42, event_time: new Date(EVENT_TIME).toISOString() });
    expect(await page.getByTestId('value').textContent()).toBe(String(api.value));
    expect(await page.getByTestId('event-time').textContent()).toBe(api.event_time);
    // Freshness: a batch feature's is its last run's, which the facts above show.
    await page.getByTestId('freshness-batch').waitFor();
    expect(await page.getByTestId('freshness-batch').textContent()).toBe(
      'A batch feature: as fresh as its last successful run (above).',
    );
    await screenshot(page, 'feature-lookup');
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows a feature's versions (who, when) and the diff of its definition, equal to the API's", async () => {
    const adminApi = new ControlPlaneClient({ baseUrl: base, apiKey: keys.admin });
    const apply = (client: ControlPlaneClient, description: string) =>
      client.apply({
        definitions: planDefinitions([...stackDefinitions.features, versioned(description)]),
        jobs: [],
      });
    applied = true;
    const first = await apply(operatorApi, `A test feature of the console (${run}), first`);
    expect(first.applied).toEqual(expect.arrayContaining([{ name: VERSIONED, version: 1 }]));
    const second = await apply(adminApi, `A test feature of the console (${run}), described again`);
    expect(second.applied).toEqual([{ name: VERSIONED, version: 2 }]);
    const api = await operatorApi.featureVersions(VERSIONED);
    expect(api.map((v) => [v.version, v.applied_by, v.removed])).toEqual([
      [2, `key:console-${run}-admin`, false],
      [1, `key:console-${run}-operator`, false],
    ]);

    const { context, page, problems } = await newPage();
    await signIn(page, 'viewer');
    await go(page, `features/${VERSIONED}`, VERSIONED);
    const table = page.getByTestId('versions');
    await table.waitFor();
    const shownRows = await table
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [...r.querySelectorAll('th, td')].slice(0, 4).map((c) => c.textContent)),
      );
    const shownAt = (iso: string) =>
      new Date(iso)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
    expect(shownRows).toEqual([
      ['2', api[0].applied_by, shownAt(api[0].applied_at), 'changed'],
      ['1', api[1].applied_by, shownAt(api[1].applied_at), 'added'],
    ]);

    // The newest version against the one before: only the description line differs.
    const diff = page.getByTestId('diff');
    await page.getByRole('heading', { level: 3, name: 'Version 2 against version 1' }).waitFor();
    const lineCount = (definition: object) =>
      JSON.stringify(definition, null, 2).split('\n').length;
    expect(await diff.locator('del').allTextContents()).toEqual([
      `-   "description": "${api[1].definition.description}",`,
    ]);
    expect(await diff.locator('ins').allTextContents()).toEqual([
      `+   "description": "${api[0].definition.description}",`,
    ]);
    expect(await diff.locator('span').count()).toBe(lineCount(api[0].definition) - 1);
    expect(await page.getByTestId('diff-summary').textContent()).toBe(
      '1 line added (+), 1 line removed (-)',
    );
    await checkPage(page, 'feature-versions');

    // Version 1, chosen with the keyboard: the whole definition added.
    const choose = page.getByRole('button', { name: 'Diff of version 1' });
    await choose.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 3, name: 'Version 1 (the first)' }).waitFor();
    expect(await choose.getAttribute('aria-pressed')).toBe('true');
    expect(await diff.locator('ins').count()).toBe(lineCount(api[1].definition));
    expect(await diff.locator('del, span').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();

    // At phone width too: no serious accessibility violation.
    const phone = await newPage(PHONE);
    await signIn(phone.page, 'viewer');
    await go(phone.page, `features/${VERSIONED}`, VERSIONED);
    await phone.page.getByTestId('diff').waitFor();
    await checkPage(phone.page, 'feature-versions-phone');
    expect(phone.problems).toEqual([]);
    await phone.context.close();
  });

  it('lets an operator pause a deployment (paused in the page and in Flink), resume it, and cancel it after a confirmation', async () => {
    const flink = FlinkJobs.fromConfig(config);
    const before = await operatorApi.getDeployment(deploymentId);
    expect(before).toMatchObject({ desired_state: 'running', observed_state: 'RUNNING' });
    const { context, page, problems } = await newPage();
    await signIn(page, 'operator');
    await go(page, 'jobs', 'Jobs');
    const row = page.locator(`tr[data-deployment="${deploymentId}"]`);
    await row.getByRole('button', { name: `Pause ${job}` }).click();
    await page
      .getByTestId('progress')
      .filter({ hasText: /succeeded/ })
      .waitFor({ timeout: 180000 });
    await row.getByTestId('desired').filter({ hasText: 'paused' }).waitFor();
    await row.getByTestId('observed').filter({ hasText: 'FINISHED' }).waitFor({ timeout: 30000 });
    await screenshot(page, 'jobs-paused');
    expect((await flink.status(before.flink_job_id!)).state).toBe('FINISHED');

    await row.getByRole('button', { name: `Resume ${job}` }).click();
    await page
      .getByTestId('progress')
      .filter({ hasText: /resume .* succeeded/ })
      .waitFor({ timeout: 180000 });
    await row.getByTestId('observed').filter({ hasText: 'RUNNING' }).waitFor({ timeout: 30000 });
    const resumed = await operatorApi.getDeployment(deploymentId);
    expect(resumed.desired_state).toBe('running');
    expect(resumed.flink_job_id).not.toBe(before.flink_job_id);
    expect((await flink.status(resumed.flink_job_id!)).state).toBe('RUNNING');

    // Upgrade asks first, then stops with a savepoint and starts the new version from it.
    await operatorApi.addVersion(job, {
      source: 'flink-sql/last_purchase_amount.sql',
      parameters: { TRANSACTIONS_TOPIC: topics[0], FEATURE_TOPIC: topics[1] },
    });
    const upgradeForm = page.getByRole('form', { name: 'Upgrade a streaming deployment' });
    await upgradeForm.getByLabel('Deployment').selectOption(deploymentId);
    await upgradeForm.getByLabel('To version').fill('2');
    await upgradeForm.getByRole('button', { name: 'Upgrade' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
    expect((await operatorApi.getDeployment(deploymentId)).version).toBe(1);
    await upgradeForm.getByRole('button', { name: 'Upgrade' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Upgrade the deployment' }).click();
    await page
      .getByTestId('progress')
      .filter({ hasText: /upgrade .* succeeded/ })
      .waitFor({ timeout: 180000 });
    const upgraded = await operatorApi.getDeployment(deploymentId);
    expect(upgraded).toMatchObject({ version: 2, desired_state: 'running' });
    expect(upgraded.flink_job_id).not.toBe(resumed.flink_job_id);
    expect((await flink.status(upgraded.flink_job_id!)).state).toBe('RUNNING');

    // Cancel asks first: "Keep it" changes nothing; confirming cancels.
    await row.getByRole('button', { name: `Cancel ${job}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
    expect((await operatorApi.getDeployment(deploymentId)).desired_state).toBe('running');
    await row.getByRole('button', { name: `Cancel ${job}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel the deployment' }).click();
    await page
      .getByTestId('progress')
      .filter({ hasText: /cancel .* succeeded/ })
      .waitFor({ timeout: 180000 });
    expect((await operatorApi.getDeployment(deploymentId)).desired_state).toBe('cancelled');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('lets an operator start a batch run and follow it to success', async () => {
    const batchJob = `console-run-${run}`;
    await operatorApi.registerJob({
      name: batchJob,
      kind: 'pyspark',
      source: 'spark-jobs/tests/jobs/sleep_job.py',
    });
    const { context, page, problems } = await newPage();
    await signIn(page, 'operator');
    await go(page, 'jobs', 'Jobs');
    await page.getByRole('combobox', { name: 'Job' }).nth(1).selectOption(batchJob);
    await page.getByLabel('Arguments (optional)').fill('1');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page
      .getByTestId('progress')
      .filter({ hasText: new RegExp(`run ${batchJob}: succeeded`) })
      .waitFor({ timeout: 400000 });
    const [latest] = await operatorApi.listRuns({ job: batchJob });
    expect(latest).toMatchObject({ state: 'success', args: ['1'] });
    const row = page.locator(`tr[data-run="${latest.id}"]`);
    await row.getByTestId('run-state').filter({ hasText: 'success' }).waitFor({ timeout: 10000 });
    // The list carries no log; the row reads it from GET /v1/runs/{id} when opened.
    const { log_tail: tail } = await operatorApi.getRun(latest.id);
    expect(tail).toContain('sleep_job');
    await row.getByText('Log tail').click();
    await row.locator('pre').filter({ hasText: 'sleep_job' }).waitFor({ timeout: 10000 });
    expect(await row.locator('pre').textContent()).toBe(tail);
    await screenshot(page, 'jobs-run-succeeded');

    // A backfill over a date range: a reversed range is refused by the control plane at once
    // (the field named), nothing started.
    const backfillForm = page.getByRole('form', { name: 'Backfill a batch job over a date range' });
    await backfillForm.getByLabel('Job').selectOption(batchJob);
    await backfillForm.getByLabel('From', { exact: true }).fill('2024-03-02');
    await backfillForm.getByLabel('To', { exact: true }).fill('2024-03-01');
    await backfillForm.getByRole('button', { name: 'Backfill' }).click();
    await page
      .getByText(
        `backfill ${batchJob} 2024-03-02 to 2024-03-01: Request validation error (body.to: 2024-03-01 is before "from" (2024-03-02))`,
      )
      .waitFor();
    expect(await operatorApi.listRuns({ job: batchJob })).toHaveLength(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a viewer the buttons disabled and refuses a forged mutation with 403', async () => {
    // A second deployment of the job, running, for the viewer to look at.
    const accepted = await operatorApi.deploy(job, 1);
    expect(await operatorApi.waitForOperation(accepted.operation_id, 300000)).toMatchObject({
      status: 'succeeded',
    });
    deploymentId = accepted.target.replace('deployment:', '');
    const { context, page } = await newPage();
    await signIn(page, 'viewer');
    await go(page, 'jobs', 'Jobs');
    const row = page.locator(`tr[data-deployment="${deploymentId}"]`);
    await row.waitFor();
    for (const name of ['Pause', 'Resume', 'Cancel']) {
      expect(await row.getByRole('button', { name: `${name} ${job}` }).isDisabled()).toBe(true);
    }
    expect(await page.getByRole('button', { name: 'Start run' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Deploy', exact: true }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Upgrade', exact: true }).isDisabled()).toBe(
      true,
    );
    expect(await page.getByRole('button', { name: 'Backfill', exact: true }).isDisabled()).toBe(
      true,
    );
    await screenshot(page, 'jobs-viewer');

    // Forged from the page itself: with the session's CSRF token the role refuses it; without it
    // the CSRF check does.
    const forged = await page.evaluate(async (id) => {
      const session = (await (await fetch('/v1/session')).json()) as { csrf_token: string };
      const post = (headers: Record<string, string>) =>
        fetch(`/v1/deployments/${id}/pause`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: '{}',
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      return {
        withToken: await post({ 'x-csrf-token': session.csrf_token }),
        withoutToken: await post({}),
      };
    }, deploymentId);
    expect(forged.withToken).toEqual({
      status: 403,
      body: {
        error_code: 1201,
        error_message: 'Permission denied: role viewer may not do this (needs operator)',
        error_detail: null,
      },
    });
    expect(forged.withoutToken).toMatchObject({
      status: 403,
      body: { error_code: 1201, error_detail: [{ loc: ['header', 'x-csrf-token'] }] },
    });
    expect((await operatorApi.getDeployment(deploymentId)).desired_state).toBe('running');
    const refused = await operatorApi.audit({ actor: `key:console-${run}-viewer` });
    expect(refused[0]).toMatchObject({ action: 'deployment.pause', outcome: 'refused 403' });

    // Signing out ends the session: the cookie no longer opens the API.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the fstore console' }).waitFor();
    expect(await page.getByRole('status').textContent()).toBe('You signed out.');
    expect((await page.request.get('/v1/session')).status()).toBe(401);
    await context.close();
  });

  it('sends an expired session back to the sign-in page', async () => {
    const { context, page } = await newPage();
    const signedIn = await page.request.post('/v1/session', {
      data: { api_key: keys.viewer, ttl_seconds: 2 },
    });
    expect(signedIn.status()).toBe(200);
    await go(page, 'features', 'Features');
    // The page leaves at the session's end by itself (no request needed).
    await page
      .getByRole('heading', { name: 'Sign in to the fstore console' })
      .waitFor({ timeout: 10000 });
    expect(await page.getByRole('status').textContent()).toBe(
      'Your session has ended. Sign in again.',
    );
    const res = await page.request.get('/v1/features');
    expect(res.status()).toBe(401);
    expect(await res.json()).toMatchObject({ error_code: 1200 });
    await screenshot(page, 'session-expired');
    await context.close();
  });

  it('signs a serving user in with e-mail and password, shown and enabled as its role, and audited', async () => {
    const { context, page, problems } = await newPage();
    await signInAsUser(page, userEmail('operator'), USER_PASSWORD);
    await page.getByTestId('who').waitFor();
    expect(await page.getByTestId('who').textContent()).toBe(
      `user:${userEmail('operator')} (operator)`,
    );
    expect(await page.evaluate('document.cookie')).toBe('');
    await go(page, 'jobs', 'Jobs');
    await page.locator(`tr[data-deployment="${deploymentId}"]`).waitFor();
    expect(await page.getByRole('button', { name: 'Start run' }).isDisabled()).toBe(false);
    expect(await page.getByRole('button', { name: 'Deploy', exact: true }).isDisabled()).toBe(
      false,
    );
    await checkPage(page, 'jobs-user-operator');
    const audited = await operatorApi.audit({ actor: `user:${userEmail('operator')}` });
    expect(audited[0]).toMatchObject({
      action: 'console.sign_in',
      target: 'console',
      outcome: 'succeeded',
      detail: { signed_in_with: 'password' },
    });
    await context.close();

    // A viewer user: every page, the operating buttons disabled.
    const viewer = await newPage(PHONE);
    await signInAsUser(viewer.page, userEmail('viewer'), USER_PASSWORD);
    await viewer.page.getByTestId('who').waitFor();
    expect(await viewer.page.getByTestId('who').textContent()).toBe(
      `user:${userEmail('viewer')} (viewer)`,
    );
    await go(viewer.page, 'jobs', 'Jobs');
    await viewer.page.locator(`tr[data-deployment="${deploymentId}"]`).waitFor();
    expect(await viewer.page.getByRole('button', { name: 'Start run' }).isDisabled()).toBe(true);
    for (const [hash, heading] of [
      ['features', 'Features'],
      ['audit', 'Audit log'],
      ['health', 'Health'],
    ]) {
      await go(viewer.page, hash, heading);
    }
    await checkPage(viewer.page, 'health-user-viewer-phone');
    expect([...problems, ...viewer.problems]).toEqual([]);
    await viewer.context.close();
  });

  it('refuses a wrong password on the page, naming the password', async () => {
    const { context, page, problems } = await newPage();
    await signInAsUser(page, userEmail('viewer'), 'not-the-password');
    expect(await page.getByRole('alert').textContent()).toBe(
      'Not authenticated: wrong e-mail or password',
    );
    const password = page.getByLabel('Password', { exact: true });
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement?.id')).toBe('password');
    expect(await password.inputValue()).toBe('');
    // An unknown e-mail: the same words (the page does not tell whether an account exists).
    await page.getByLabel('E-mail', { exact: true }).fill(`nobody-${run}@example.com`);
    await password.fill(USER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(
      'Not authenticated: wrong e-mail or password',
    );
    await checkPage(page, 'sign-in-user-refused');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('sends a removed user back to the sign-in page at the next request (fstore users remove)', async () => {
    const email = `console-${run}-removed@example.com`;
    await users.upsert(email, USER_PASSWORD, 'viewer');
    const { context, page } = await newPage();
    await signInAsUser(page, email, USER_PASSWORD);
    await page.getByTestId('who').waitFor();
    await go(page, 'features', 'Features');
    const removed = fstore('users', 'remove', email);
    expect(removed.status).toBe(0);
    const res = await page.request.get('/v1/session');
    expect([res.status(), await res.json()]).toEqual([
      401,
      {
        error_code: 1200,
        error_message:
          'Not authenticated: the user of the session was removed or may no longer use the console',
        error_detail: null,
      },
    ]);
    // The page's next request (another page) ends the session in the page too.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Sign in to the fstore console' }).waitFor();
    expect(await page.getByRole('status').textContent()).toBe(
      'Your session has ended. Sign in again.',
    );
    await context.close();
  });

  it('can be used with the keyboard alone', async () => {
    const { context, page } = await newPage();
    await page.goto(CONSOLE);
    await page.getByRole('heading', { name: 'Sign in to the fstore console' }).waitFor();
    // The choice comes first (its checked radio button: API key), then the key's field.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.value')).toBe('api_key');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('api_key');
    await page.keyboard.type(keys.viewer);
    await page.keyboard.press('Enter');
    await page.getByTestId('who').waitFor();
    // Tab reaches the skip link and then the pages' links.
    const seen: string[] = [];
    for (let i = 0; i < 8 && seen[seen.length - 1] !== 'Jobs'; i++) {
      await page.keyboard.press('Tab');
      seen.push(String(await page.evaluate('document.activeElement?.textContent')));
    }
    expect(seen[seen.length - 1]).toBe('Jobs');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    // On a fresh load the first Tab is the skip link, which moves the focus to the content.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    await context.close();
  });
});
