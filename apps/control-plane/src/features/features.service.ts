import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { EXPORT_FORMAT, streamJobName } from '@fstore/definitions';
import { COMPOSITE_ID_SEPARATOR, FEATURES, featureKey } from '@fstore/contracts';
import { isOnlineStoreUnavailable, OnlineStore } from '@fstore/online-store';
import { JsonObject } from '@fstore/control-store';
import { AuditService } from '../audit/audit.service';
import { Transactions } from '../store/transactions';
import { Principal } from '../auth/api-keys.service';
import { FeaturePlan, LiveJob, planChanges } from './feature-plan';
import { CatalogFeature, currentCatalog } from './feature-catalog';
import { PlanRequestDto } from './features-plan.dto';
import { InvalidField } from '@fstore/rest-api';
import { NoFeatureVersions, NotFound, Unavailable } from '../errors/domain-errors';
import { FEATURE_REGISTRY_REPOSITORY, ONLINE_STORE, TRANSACTIONS } from '../tokens';
import { FeatureRegistryRepository } from './feature-registry.repository';

/** The online store, connected on first use (listing features must not need the cluster). */
export type LazyOnlineStore = (() => OnlineStore) & { close: () => Promise<void> | undefined };

/**
 * Features with their freshness, cheaply: which job produces each one and how that job is doing
 * (the deployment's observed state and when it was observed, or the last batch run), and for one
 * entity the stored value with its event time. Counting keys or scanning for the newest event
 * time would cost a pass over the cluster, so it is not offered.
 */
@Injectable()
export class FeaturesService implements OnApplicationShutdown {
  constructor(
    @Inject(FEATURE_REGISTRY_REPOSITORY) private readonly registry: FeatureRegistryRepository,
    @Inject(TRANSACTIONS) private readonly transactions: Transactions,
    @Inject(ONLINE_STORE) private readonly store: LazyOnlineStore,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** What applying these definitions would change; changes nothing. */
  async plan(request: PlanRequestDto): Promise<FeaturePlan> {
    checkPlanRequest(request);
    return planChanges(
      request.definitions,
      await this.registry.latest(),
      request.jobs,
      await this.liveStreamJobs(),
    );
  }

  /**
   * Records the definitions as the registry's new versions (one immutable row per added,
   * changed, re-described or removed feature, with who applied it), all or nothing, and returns
   * the plan that was applied: its job actions are the caller's next requests (deploy, upgrade,
   * cancel through the operation queue; a batch run for each backfill).
   */
  async apply(
    request: PlanRequestDto,
    principal: Principal,
  ): Promise<FeaturePlan & { applied: { name: string; version: number }[] }> {
    checkPlanRequest(request);
    return this.transactions.run(async (tx) => {
      // One apply at a time: the versions read here are the ones the new rows follow.
      await this.registry.lockForApply(tx);
      const registered = await this.registry.latest(tx);
      const plan = planChanges(
        request.definitions,
        registered,
        request.jobs,
        await this.liveStreamJobs(),
      );
      const wanted = new Map(request.definitions.features.map((f) => [f.name, f]));
      const applied: { name: string; version: number }[] = [];
      for (const change of plan.features) {
        if (change.change === 'none') continue;
        const reg = registered.find((r) => r.name === change.name);
        const definition = wanted.get(change.name) ?? reg!.definition;
        const version = (reg?.version ?? 0) + 1;
        await this.registry.insert(
          {
            name: change.name,
            version,
            computeHash: definition.compute_hash,
            engine: definition.engine,
            source: definition.source,
            definition: definition as JsonObject,
            removed: change.change === 'remove',
            appliedBy: principal.actor,
          },
          tx,
        );
        applied.push({ name: change.name, version });
      }
      await this.audit.record(
        {
          actor: principal.actor,
          action: 'features.apply',
          target: 'features',
          outcome: 'succeeded',
          detail: { applied, jobs: plan.jobs.map((j) => ({ job: j.job, action: j.action })) },
        },
        tx,
      );
      return { ...plan, applied };
    });
  }

  /** The live deployments of the definitions' streaming jobs, with the SQL they run. */
  private async liveStreamJobs(): Promise<LiveJob[]> {
    const live = await this.registry.liveDeployments(streamJobName(''));
    return live.map(({ deployment: d, sha256 }) => ({
      name: d.jobName,
      deploymentId: d.id,
      desiredState: d.desiredState,
      sha256: sha256 ?? '',
    }));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  async list() {
    const catalog = await this.catalog();
    return Promise.all(catalog.map((f) => this.withFreshness(f)));
  }

  async get(name: string, entityId?: string) {
    const feature = (await this.catalog()).find((f) => f.name === name);
    if (!feature) throw NotFound('feature', name);
    const out = await this.withFreshness(feature);
    if (entityId === undefined) return out;
    const parts = entityId.split(COMPOSITE_ID_SEPARATOR);
    const columns = feature.keyColumns;
    if (parts.length !== columns.length || parts.some((p) => p.length === 0 || p.length > 64)) {
      throw InvalidField(
        ['query', 'entity_id'],
        `expected ${columns.join(COMPOSITE_ID_SEPARATOR)} (each 1-64 chars)`,
      );
    }
    let value;
    try {
      [[value]] = await this.store().read(feature.entity, [parts], [feature.stored]);
    } catch (e) {
      // Only the store not answering is a 503; a bug stays a 500 (with a correlation id).
      if (isOnlineStoreUnavailable(e)) throw Unavailable('online store', (e as Error).message);
      throw e;
    }
    return {
      ...out,
      entity_id: entityId,
      key: featureKey(name, parts),
      value: value?.value ?? null,
      event_time: value ? new Date(value.eventTime).toISOString() : null,
    };
  }

  /**
   * Every version the registry holds of one feature, newest first, with who applied it and the
   * definition as applied; a feature never applied with `fstore apply` has none (404).
   */
  async versions(name: string) {
    const versions = await this.registry.versions(name);
    if (versions.length === 0) throw NoFeatureVersions(name);
    return {
      name,
      versions: versions.map((v) => ({
        version: v.version,
        applied_by: v.appliedBy,
        applied_at: v.appliedAt,
        removed: v.removed,
        definition: v.definition,
      })),
    };
  }

  /** The features the system has now: the registry's, else the boot definitions. */
  private async catalog(): Promise<CatalogFeature[]> {
    return currentCatalog(FEATURES, await this.registry.latest());
  }

  private async withFreshness(def: CatalogFeature) {
    // Jobs whose versions run the producing file.
    const jobs = await this.registry.jobsRunning(def.producedBy);
    const base = {
      name: def.name,
      entity: def.entity,
      aggregation: def.aggregation,
      window: def.window,
      owner: def.owner,
      tags: def.tags,
      key_template: def.keyTemplate,
      type: def.type,
      engine: def.engine,
      produced_by: def.producedBy,
      description: def.description,
      // The registry's latest applied version (null: never applied with `fstore apply`).
      registry_version: def.applied?.version ?? null,
      applied_by: def.applied?.by ?? null,
      applied_at: def.applied?.at ?? null,
      jobs,
    };
    if (jobs.length === 0) return { ...base, producer: null };
    if (def.engine === 'stream') {
      const dep = await this.registry.newestLiveDeployment(jobs);
      return {
        ...base,
        producer: dep && {
          deployment_id: dep.id,
          job: dep.jobName,
          version: dep.version,
          desired_state: dep.desiredState,
          observed_state: dep.observedState,
          observed_at: dep.observedAt,
          drift: dep.drift,
        },
      };
    }
    const run = await this.registry.newestSuccessfulRun(jobs);
    return {
      ...base,
      producer: run && {
        run_id: run.id,
        job: run.jobName,
        last_successful_run_at: run.finishedAt,
        as_of: run.asOf,
      },
    };
  }
}

/** The shape the plan needs, checked before anything is read (400 naming the field). */
function checkPlanRequest(request: PlanRequestDto): void {
  const defs = request.definitions as unknown as Record<string, unknown>;
  if (defs.format !== EXPORT_FORMAT) {
    throw InvalidField(
      ['body', 'definitions', 'format'],
      `expected format ${EXPORT_FORMAT} (fstore features export), got ${String(defs.format)}`,
    );
  }
  if (!Array.isArray(defs.features)) {
    throw InvalidField(['body', 'definitions', 'features'], 'expected an array of features');
  }
  defs.features.forEach((f: Record<string, unknown>, i: number) => {
    for (const field of ['name', 'compute_hash', 'engine', 'source']) {
      if (typeof f?.[field] !== 'string' || f[field] === '') {
        throw InvalidField(['body', 'definitions', 'features', i, field], 'expected a string');
      }
    }
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(String(f.name))) {
      throw InvalidField(['body', 'definitions', 'features', i, 'name'], 'not a feature name');
    }
  });
  request.jobs.forEach((j, i) => {
    if (typeof j?.name !== 'string' || !j.name.startsWith(streamJobName(''))) {
      throw InvalidField(['body', 'jobs', i, 'name'], `expected ${streamJobName('<source>')}`);
    }
    if (typeof j.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(j.sha256)) {
      throw InvalidField(['body', 'jobs', i, 'sha256'], 'expected a sha256 (64 hex digits)');
    }
    if (!Array.isArray(j.features)) {
      throw InvalidField(['body', 'jobs', i, 'features'], 'expected an array of feature names');
    }
  });
}
