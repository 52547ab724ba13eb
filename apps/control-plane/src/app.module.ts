import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FstoreConfig } from '@fstore/config';
import { RedisClusterOnlineStore, OnlineStore } from '@fstore/online-store';
import { ErrorFilter, FieldValidationPipe } from '@fstore/rest-api';
import { AuditController } from './audit/audit.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { TypeOrmAuditRepository } from './audit/audit.repository';
import { AuditService } from './audit/audit.service';
import { ApiKeysController } from './auth/api-keys.controller';
import { TypeOrmApiKeysRepository } from './auth/api-keys.repository';
import { TypeOrmFeatureRegistryRepository } from './features/feature-registry.repository';
import { ApiKeysService } from './auth/api-keys.service';
import { AuthGuard } from './auth/auth.guard';
import { ConsoleHealthController } from './console/console-health.controller';
import { ConsoleHealthService } from './console/console-health.service';
import { PrometheusRepository } from './console/prometheus.repository';
import { ConsoleUsersService } from './console/console-users.service';
import { consoleUsersSource } from './console/console-users.source';
import { ConsoleSessions } from './console/session';
import { SignInService } from './console/sign-in.service';
import { SessionController } from './console/session.controller';
import { openDatabase, ENTITIES } from '@fstore/control-store';
import { mapControlError } from './errors/domain-errors';
import { DeploymentsController } from './deployments/deployments.controller';
import { TypeOrmDeploymentsRepository } from './deployments/deployments.repository';
import { DeploymentsService } from './deployments/deployments.service';
import { ReconcilerService } from './deployments/reconciler.service';
import { FsCheckpointsRepository } from './flink/checkpoints.repository';
import { FeaturesController } from './features/features.controller';
import { FeaturesService } from './features/features.service';
import { FlinkRepository } from './flink/flink.repository';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { JobsController } from './jobs/jobs.controller';
import { TypeOrmJobsRepository } from './jobs/jobs.repository';
import { JobsService } from './jobs/jobs.service';
import { SourcesRepository } from './jobs/sources.repository';
import { MetricsController } from './metrics/metrics.controller';
import { ControlMetrics } from './metrics/metrics';
import { OperationExecutor } from './operations/operation-executor';
import { OperationsController } from './operations/operations.controller';
import { TypeOrmOperationsRepository } from './operations/operations.repository';
import { OperationsService } from './operations/operations.service';
import { ProcessRoles, WorkerService } from './operations/worker.service';
import { QueueRepository } from './queue/queue.repository';
import { BatchRuntime } from './runs/batch-runtime';
import { LivyRepository } from './runs/livy.repository';
import { RunsController } from './runs/runs.controller';
import { RunsExecutor } from './runs/runs.executor';
import { TypeOrmRunsRepository } from './runs/runs.repository';
import { RunsService } from './runs/runs.service';
import { TypeOrmTransactions } from './store/typeorm-transactions';
import {
  API_KEYS_REPOSITORY,
  FEATURE_REGISTRY_REPOSITORY,
  AUDIT_REPOSITORY,
  BATCH_RUNTIME,
  CHECKPOINTS,
  CONFIG,
  CONSOLE_SESSIONS,
  CONSOLE_USERS,
  DEPLOYMENTS_REPOSITORY,
  FLINK,
  JOBS_REPOSITORY,
  ONLINE_STORE,
  OPERATIONS_REPOSITORY,
  PROCESS_ROLES,
  PROMETHEUS,
  QUEUE,
  RUNS_REPOSITORY,
  SOURCES,
  TRANSACTIONS,
} from './tokens';

export interface ControlPlaneOptions extends ProcessRoles {
  /** The configuration, read once at start (main.ts) and given to every provider. */
  config: FstoreConfig;
  /** Replaces the batch runtime (Livy) — tests of the run module only. */
  batchRuntime?: BatchRuntime;
  /** Where flink-sql/ and spark-jobs/ are read from (default: the checkout) — tests only. */
  sourcesRoot?: string;
}

/** The control plane: admin API, operation worker and reconciler (each may be switched off). */
@Module({})
export class AppModule {
  static forRoot(options: ControlPlaneOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({}),
          dataSourceFactory: async () => openDatabase(options.config),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      controllers: [
        ApiKeysController,
        JobsController,
        DeploymentsController,
        RunsController,
        OperationsController,
        FeaturesController,
        AuditController,
        HealthController,
        MetricsController,
        SessionController,
        ConsoleHealthController,
      ],
      providers: [
        { provide: CONFIG, useValue: options.config },
        {
          provide: PROCESS_ROLES,
          useValue: { worker: options.worker, reconciler: options.reconciler },
        },
        { provide: ControlMetrics, useValue: new ControlMetrics() },
        {
          provide: FLINK,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) => FlinkRepository.fromConfig(c),
        },
        {
          provide: CHECKPOINTS,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) => new FsCheckpointsRepository(c.flink.checkpointDir),
        },
        {
          provide: QUEUE,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) => new QueueRepository(c),
        },
        { provide: SOURCES, useValue: new SourcesRepository(options.sourcesRoot) },
        {
          provide: BATCH_RUNTIME,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) => options.batchRuntime ?? LivyRepository.fromConfig(c),
        },
        {
          // Connected on first use: listing features must not need the cluster.
          provide: ONLINE_STORE,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) => {
            let store: OnlineStore | undefined;
            const get = () => (store ??= RedisClusterOnlineStore.fromConfig(c, 'control-plane'));
            return Object.assign(get, { close: () => store?.close() });
          },
        },
        {
          // No secret, no console sign-in (API keys still work).
          provide: CONSOLE_SESSIONS,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) =>
            c.control.consoleSecret
              ? new ConsoleSessions(c.control.consoleSecret, c.control.consoleSessionTtlSeconds)
              : undefined,
        },
        {
          // The users table, read as the control plane's role on a pool of its own (public schema).
          provide: CONSOLE_USERS,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) => consoleUsersSource(c),
        },
        {
          provide: PROMETHEUS,
          inject: [CONFIG],
          useFactory: (c: FstoreConfig) => PrometheusRepository.fromConfig(c),
        },
        // PostgreSQL: the services' rules depend on these interfaces, TypeORM behind them.
        { provide: TRANSACTIONS, useClass: TypeOrmTransactions },
        { provide: OPERATIONS_REPOSITORY, useClass: TypeOrmOperationsRepository },
        { provide: DEPLOYMENTS_REPOSITORY, useClass: TypeOrmDeploymentsRepository },
        { provide: JOBS_REPOSITORY, useClass: TypeOrmJobsRepository },
        { provide: RUNS_REPOSITORY, useClass: TypeOrmRunsRepository },
        { provide: AUDIT_REPOSITORY, useClass: TypeOrmAuditRepository },
        { provide: API_KEYS_REPOSITORY, useClass: TypeOrmApiKeysRepository },
        { provide: FEATURE_REGISTRY_REPOSITORY, useClass: TypeOrmFeatureRegistryRepository },
        ConsoleHealthService,
        ConsoleUsersService,
        SignInService,
        ApiKeysService,
        AuditService,
        JobsService,
        DeploymentsService,
        OperationsService,
        OperationExecutor,
        RunsService,
        RunsExecutor,
        ReconcilerService,
        WorkerService,
        FeaturesService,
        HealthService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_PIPE, useClass: FieldValidationPipe },
        { provide: APP_FILTER, useValue: new ErrorFilter(mapControlError) },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
    };
  }
}
