import { Command } from 'commander';
import { rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { formatTable } from '../format-table';

// The feature definitions load (and are checked) only when a command needs them, not for --help.
const definitions = async () => ({
  ...(await import('@fstore/definitions')),
  ...(await import('./compile-drift')),
  REGISTRY: (await import('@fstore/contracts')).REGISTRY,
});

type Json = Record<string, unknown>;

/**
 * What the control plane knows of each feature (registry version, producing job, its state and
 * freshness), or undefined with the reason when it cannot be asked (no key, not running).
 */
async function controlPlaneView(): Promise<{ features?: Map<string, Json>; why?: string }> {
  const { control } = loadConfig();
  if (!control.apiKey) return { why: 'FSTORE_API_KEY is not set' };
  const { ControlPlaneClient } = await import('@fstore/client');
  try {
    const client = new ControlPlaneClient({
      baseUrl: control.url,
      apiKey: control.apiKey,
      retries: 0,
    });
    const features = await client.listFeatures();
    return { features: new Map(features.map((f) => [f.name, f as unknown as Json])) };
  } catch (e) {
    return { why: `control plane at ${control.url}: ${(e as Error).message}` };
  }
}

/** The producing job's state in a few words: a deployment's observed state, a batch run's as-of. */
function freshness(f: Json | undefined): string {
  const p = f?.producer as Json | null | undefined;
  if (!p) return '-';
  if (p.deployment_id) {
    return `${String(p.observed_state)} (observed ${String(p.observed_at ?? 'never')})`;
  }
  return `last run ${String(p.last_successful_run_at)}, as of ${String(p.as_of)}`;
}

export function featuresCommand(program: Command): void {
  const features = program
    .command('features')
    .description('The feature definitions of features/: list, describe, compile, export');

  features
    .command('list')
    .description(
      'One row per feature: entity, engine, type, registry version, job, freshness, what it computes',
    )
    .action(async () => {
      const { REGISTRY, describeComputation } = await definitions();
      const view = await controlPlaneView();
      const rows = REGISTRY.features.map((f) => {
        const cp = view.features?.get(f.name);
        const jobs = (cp?.jobs as string[] | undefined) ?? [];
        return [
          f.name,
          f.entity.name,
          f.engine,
          f.type,
          cp?.registry_version == null ? '-' : String(cp.registry_version),
          jobs.join(',') || '-',
          freshness(cp),
          describeComputation(f),
        ];
      });
      const headers = [
        'feature',
        'entity',
        'engine',
        'type',
        'version',
        'job',
        'state',
        'computes',
      ];
      console.log(formatTable(headers, rows));
      if (view.why) console.error(`(registry version, job and state unknown: ${view.why})`);
    });

  features
    .command('describe <name>')
    .description("A feature's definition, registry version, job and freshness, as JSON")
    .action(async (name: string) => {
      const { REGISTRY, exportDefinitions } = await definitions();
      const f = exportDefinitions(REGISTRY).features.find((x) => x.name === name);
      if (!f) {
        const known = REGISTRY.features.map((x) => x.name).join(', ');
        throw new Error(`no feature "${name}" in features/ (known: ${known})`);
      }
      const view = await controlPlaneView();
      const cp = view.features?.get(name);
      const control = cp
        ? {
            registry_version: cp.registry_version,
            applied_by: cp.applied_by,
            applied_at: cp.applied_at,
            jobs: cp.jobs,
            producer: cp.producer,
          }
        : { unknown: view.why ?? 'not in the control plane (run fstore apply)' };
      console.log(JSON.stringify({ definition: f, control_plane: control }, null, 2));
    });

  features
    .command('get <entity> <id>')
    .description(
      "An entity's current value of every feature of it, with its event time, from the running system (the control plane's GET /v1/features/{name}?entity_id=)",
    )
    .option('--json', 'the answers as a JSON array (one line on stdout)')
    .action(async function (this: Command, entity: string, id: string, opts: { json?: boolean }) {
      const { REGISTRY } = await definitions();
      const ofEntity = REGISTRY.features.filter((f) => f.entity.name === entity);
      if (ofEntity.length === 0) {
        const known = [...new Set(REGISTRY.features.map((f) => f.entity.name))].sort().join(', ');
        this.error(
          `error: argument 'entity' is invalid: no feature of "${entity}" (entities: ${known})`,
          {
            exitCode: 2,
          },
        );
      }
      const { controlPlane, call } = await import('../control/jobs-command');
      controlPlane(); // FSTORE_API_KEY checked before any request
      const path = (name: string) =>
        `/v1/features/${encodeURIComponent(name)}?entity_id=${encodeURIComponent(id)}`;
      const answers = await Promise.all(ofEntity.map((f) => call('GET', path(f.name))));
      if (opts.json) {
        console.log(JSON.stringify(answers)); // one line, like every --json of the CLI
        return;
      }
      const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
      console.log(
        formatTable(
          ['feature', 'value', 'event_time', 'key'],
          answers.map((a) => [cell(a.name), cell(a.value), cell(a.event_time), cell(a.key)]),
        ),
      );
    });

  features
    .command('compile')
    .description('Write the generated Flink SQL under flink-sql/ (--check: only report drift)')
    .option('--check', 'exit 1 when a checked-in file differs from what the compiler produces')
    .action(async (opts: { check?: boolean }) => {
      const { REGISTRY, compileDrift, generatedFiles } = await definitions();
      const expected = generatedFiles(REGISTRY);
      const drift = compileDrift(REGISTRY);
      if (opts.check) {
        if (drift.length > 0) {
          console.error(`out of date: ${drift.join(', ')} (run: npx fstore features compile)`);
          process.exitCode = 1;
        } else console.log('flink-sql/ is up to date');
        return;
      }
      for (const file of drift) {
        const sql = expected.get(file);
        if (sql === undefined) rmSync(join(PROJECT_ROOT, file));
        else writeFileSync(join(PROJECT_ROOT, file), sql);
        console.log(`${sql === undefined ? 'removed' : 'wrote'} ${file}`);
      }
      if (drift.length === 0) console.log('flink-sql/ is up to date');
    });

  features
    .command('export')
    .description('The definitions as JSON (what the Spark jobs and Airflow read)')
    .option('--out <file>', 'write to a file instead of standard output')
    .action(async (opts: { out?: string }) => {
      const { REGISTRY, exportDefinitions } = await definitions();
      const json = `${JSON.stringify(exportDefinitions(REGISTRY), null, 2)}\n`;
      if (opts.out) writeFileSync(opts.out, json);
      else process.stdout.write(json);
    });
}
