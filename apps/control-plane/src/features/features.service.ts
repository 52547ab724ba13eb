import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Not, Repository } from 'typeorm';
import {
  COMPOSITE_ID_SEPARATOR,
  ENTITIES,
  FEATURES,
  featureByName,
  featureKey,
} from '@fstore/contracts';
import { OnlineStore } from '@fstore/online-store';
import {
  BatchRunEntity,
  DeploymentEntity,
  FeatureDefinitionEntity,
  JobVersionEntity,
} from '../database/entities';
import { InvalidField } from '@fstore/rest-api';
import { NotFound, Unavailable } from '../errors/domain-errors';

export const ONLINE_STORE = Symbol('OnlineStore');

/** The online store, connected on first use (listing features must not need the cluster). */
export type LazyOnlineStore = (() => OnlineStore) & { close: () => Promise<void> | undefined };

/**
 * Features with their freshness, cheaply: which job produces each one and how that job is doing
 * (the deployment's observed state and when it was observed, or the last batch run), and for one
 * entity the stored value with its event time. Counting keys or scanning for the newest event
 * time would cost a pass over the cluster, so it is not offered.
 */
@Injectable()
export class FeaturesService implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @InjectRepository(FeatureDefinitionEntity)
    private readonly features: Repository<FeatureDefinitionEntity>,
    @InjectRepository(JobVersionEntity) private readonly versions: Repository<JobVersionEntity>,
    @InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>,
    @InjectRepository(BatchRunEntity) private readonly runs: Repository<BatchRunEntity>,
    @Inject(ONLINE_STORE) private readonly store: LazyOnlineStore,
  ) {}

  /** libs/contracts FEATURES is the source of truth: the table follows it at every boot. */
  async onModuleInit(): Promise<void> {
    await this.features.upsert(
      FEATURES.map((f) => ({
        name: f.name,
        entity: f.entity,
        keyTemplate: featureKey(
          f.name,
          ENTITIES[f.entity].keyColumns.map((c) => `<${c}>`),
        ),
        type: f.type,
        engine: f.engine,
        producedBy: f.producedBy,
        description: f.description,
      })),
      ['name'],
    );
    await this.features.delete({ name: Not(In(FEATURES.map((f) => f.name))) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  async list() {
    const defs = await this.features.find({ order: { name: 'ASC' } });
    return Promise.all(defs.map((d) => this.withFreshness(d)));
  }

  async get(name: string, entityId?: string) {
    const def = await this.features.findOneBy({ name });
    if (!def) throw NotFound('feature', name);
    const out = await this.withFreshness(def);
    if (entityId === undefined) return out;
    const contract = featureByName(name)!;
    const parts = entityId.split(COMPOSITE_ID_SEPARATOR);
    const columns = ENTITIES[contract.entity].keyColumns;
    if (parts.length !== columns.length || parts.some((p) => p.length === 0 || p.length > 64)) {
      throw InvalidField(
        ['query', 'entity_id'],
        `expected ${columns.join(COMPOSITE_ID_SEPARATOR)} (each 1-64 chars)`,
      );
    }
    let value;
    try {
      [[value]] = await this.store().read(contract.entity, [parts], [contract]);
    } catch (e) {
      throw Unavailable('online store', (e as Error).message);
    }
    return {
      ...out,
      entity_id: entityId,
      key: featureKey(name, parts),
      value: value?.value ?? null,
      event_time: value ? new Date(value.eventTime).toISOString() : null,
    };
  }

  private async withFreshness(def: FeatureDefinitionEntity) {
    // Jobs whose versions run the producing file.
    const producers = await this.versions
      .createQueryBuilder('v')
      .select('DISTINCT v.job_name', 'job_name')
      .where('v.source = :source', { source: def.producedBy })
      .getRawMany<{ job_name: string }>();
    const jobs = producers.map((p) => p.job_name);
    const base = {
      name: def.name,
      entity: def.entity,
      key_template: def.keyTemplate,
      type: def.type,
      engine: def.engine,
      produced_by: def.producedBy,
      description: def.description,
      jobs,
    };
    if (jobs.length === 0) return { ...base, producer: null };
    if (def.engine === 'stream') {
      const dep = await this.deployments.findOne({
        where: { jobName: In(jobs), desiredState: Not('cancelled') },
        order: { createdAt: 'DESC' },
      });
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
    const run = await this.runs.findOne({
      where: { jobName: In(jobs), state: 'success' },
      order: { finishedAt: 'DESC' },
    });
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
