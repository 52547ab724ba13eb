import { Inject, Injectable } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import { FstoreConfig } from '@fstore/config';
import {
  COMPOSITE_ID_SEPARATOR,
  ENTITIES,
  EntityName,
  FeatureDefinition,
  featureByName,
  featuresOf,
} from '@fstore/contracts';
import { FeatureValue, isOnlineStoreUnavailable, OnlineStore } from '@fstore/online-store';
import { ValidationFailed } from '@fstore/rest-api';
import {
  BatchTooLarge,
  EntityNotFound,
  FeatureNotFound,
  StoreUnavailable,
} from '../errors/domain-errors';
import { ID_PART } from './features.dto';
import { EntityFeaturesDto, FeatureValueDto } from './features.dto';
import { IsoTimeFormatter } from './iso-time';
import { ServingLog } from './serving-log';
import { CONFIG, ONLINE_STORE } from '../tokens';

@Injectable()
export class FeaturesService {
  private readonly isoTimes = new IsoTimeFormatter();

  constructor(
    @Inject(CONFIG) private readonly config: FstoreConfig,
    @Inject(ONLINE_STORE) private readonly store: OnlineStore,
    @Inject(ServingLog) private readonly servingLog: ServingLog,
  ) {}

  /** `parent` of this and the other reads: a traced request's span (OnlineStore.read). */
  async entity(
    entity: EntityName,
    id: string,
    names?: string[],
    parent?: Span,
  ): Promise<EntityFeaturesDto> {
    const features = this.selectFeatures(entity, names, ['query', 'names']);
    const [result] = await this.readMany(entity, [id], features, () => ['path', 'id'], parent);
    if (Object.values(result.features).every((v) => v === null)) throw EntityNotFound(entity, id);
    return result;
  }

  async batch(
    entity: EntityName,
    ids: string[],
    names?: string[],
    parent?: Span,
  ): Promise<EntityFeaturesDto[]> {
    const max = this.config.serving.maxBatch;
    if (ids.length > max) throw BatchTooLarge(ids.length, max);
    const features = this.selectFeatures(entity, names, ['body', 'features']);
    return this.readMany(entity, ids, features, (i) => ['body', 'ids', String(i)], parent);
  }

  /** One feature of one entity, for the original API: the value or its 404 code. */
  async legacy(featureName: string, keyParts: string[], parent?: Span): Promise<number> {
    const feature = featureByName(featureName);
    if (!feature?.legacy) throw new Error(`${featureName} has no endpoint of the original API`);
    const [[value]] = await this.read(feature.entity, [keyParts], [feature], parent);
    if (!value) throw FeatureNotFound(feature, keyParts.join('/'));
    return value.value;
  }

  private selectFeatures(entity: EntityName, names: string[] | undefined, loc: string[]) {
    const all = featuresOf(entity);
    if (!names) return all;
    const foreign = names.filter((n) => !all.some((f) => f.name === n));
    if (foreign.length > 0) {
      throw ValidationFailed([
        {
          loc,
          msg: `not features of ${entity}: ${foreign.join(', ')}`,
          type: 'value_error.entity',
        },
      ]);
    }
    return all.filter((f) => names.includes(f.name));
  }

  private async readMany(
    entity: EntityName,
    ids: string[],
    features: FeatureDefinition[],
    locOf: (index: number) => string[],
    parent: Span | undefined,
  ): Promise<EntityFeaturesDto[]> {
    const keyParts = ids.map((id, i) => this.parseId(entity, id, () => locOf(i)));
    const rows = await this.read(entity, keyParts, features, parent);
    const now = Date.now();
    const { streamMaxAgeSeconds, batchMaxAgeSeconds } = this.config.serving;
    const maxAges = features.map(
      (f) => (f.engine === 'stream' ? streamMaxAgeSeconds : batchMaxAgeSeconds) * 1000,
    );
    return rows.map((row, i) => {
      const values: Record<string, FeatureValueDto | null> = {};
      for (let j = 0; j < features.length; j++) {
        values[features[j].name] = this.present(row[j], now, maxAges[j]);
      }
      return { entity, id: ids[i], features: values };
    });
  }

  private async read(
    entity: EntityName,
    keyParts: string[][],
    features: FeatureDefinition[],
    parent?: Span,
  ) {
    let rows: Awaited<ReturnType<OnlineStore['read']>>;
    try {
      rows = await this.store.read(entity, keyParts, features, parent);
    } catch (e) {
      // The store not answering is a 503 the client may retry; anything else (a bug, a refused
      // command) stays what it is and answers 500 with a correlation id (ErrorFilter).
      if (isOnlineStoreUnavailable(e)) throw StoreUnavailable((e as Error).message);
      throw e;
    }
    if (this.servingLog.enabled) {
      this.servingLog.record(entity, keyParts, features, rows, Date.now());
    }
    return rows;
  }

  private present(v: FeatureValue | null, now: number, maxAgeMs: number): FeatureValueDto | null {
    if (!v) return null;
    const dto: FeatureValueDto = {
      value: v.value,
      event_time: v.eventTime ? this.isoTimes.format(v.eventTime) : null,
      stale: !v.eventTime || now - v.eventTime > maxAgeMs,
    };
    if (v.window) {
      dto.window = {
        start: this.isoTimes.format(v.window.start),
        end: this.isoTimes.format(v.window.end),
      };
    }
    return dto;
  }

  private parseId(entity: EntityName, id: string, loc: () => string[]): string[] {
    const arity = ENTITIES[entity].keyColumns.length;
    const parts = arity === 1 ? [id] : id.split(COMPOSITE_ID_SEPARATOR);
    if (parts.length !== arity || !parts.every((p) => ID_PART.test(p))) {
      const shape = ENTITIES[entity].keyColumns.join(COMPOSITE_ID_SEPARATOR);
      throw ValidationFailed([
        {
          loc: loc(),
          msg: `expected ${shape}, each part 1-64 characters without braces`,
          type: 'value_error.id',
        },
      ]);
    }
    return parts;
  }
}
