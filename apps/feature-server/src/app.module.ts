import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { Pool } from 'pg';
import { FstoreConfig } from '@fstore/config';
import {
  LoginThrottle,
  loginLimits,
  PasswordLogin,
  SessionCheck,
  TokenSigner,
  UsersRepository,
  UsersUnavailableError,
} from '@fstore/auth';
import { OnlineStore } from '@fstore/online-store';
import { isPostgresUnavailable } from '@fstore/postgres';
import {
  DomainError,
  ERRORS,
  ErrorFilter,
  FieldValidationPipe,
  Unavailable,
} from '@fstore/rest-api';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { pgPoolProvider, usersRepositoryProvider } from './auth/users.provider';
import { FeaturesController } from './features/features.controller';
import { EntityReadLane } from './features/entity-read.lane';
import { FeaturesService } from './features/features.service';
import { LegacyController } from './features/legacy.controller';
import { onlineStoreProvider } from './features/online-store.provider';
import { kafkaServingLogSink, ServingLog } from './features/serving-log';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { ServingMetrics } from './metrics/metrics';
import { CONFIG, ONLINE_STORE, PG_POOL } from './tokens';

/**
 * The users table not answering is the store being unavailable, not a server fault: 503 with the
 * original API's "connection error to the database" code (1400).
 */
export const usersUnavailable = (e: unknown): DomainError | undefined => {
  if (e instanceof UsersUnavailableError) return new DomainError(ERRORS.unavailable, e.message);
  if (isPostgresUnavailable(e)) return Unavailable('user database', (e as Error).message);
  return undefined;
};

/** The feature server's controllers and providers; the configuration is given at start. */
const FEATURE_SERVER = {
  controllers: [
    FeaturesController,
    LegacyController,
    AuthController,
    HealthController,
    MetricsController,
  ],
  providers: [
    onlineStoreProvider,
    pgPoolProvider,
    usersRepositoryProvider,
    {
      provide: TokenSigner,
      inject: [CONFIG],
      useFactory: (c: FstoreConfig) => {
        if (!c.auth.secret) throw new Error('FSTORE_AUTH_SECRET is not set');
        return new TokenSigner(c.auth.secret);
      },
    },
    {
      provide: SessionCheck,
      inject: [CONFIG, UsersRepository],
      useFactory: (c: FstoreConfig, users: UsersRepository) =>
        new SessionCheck((sid) => users.sessionActive(sid), c.auth.revocationCheckSeconds * 1000),
    },
    {
      provide: PasswordLogin,
      inject: [CONFIG, UsersRepository],
      useFactory: ({ auth }: FstoreConfig, users: UsersRepository) => {
        const logger = new Logger('auth');
        return new PasswordLogin(users, new LoginThrottle(loginLimits(auth)), (w) =>
          logger.warn(w),
        );
      },
    },
    { provide: ServingMetrics, useValue: new ServingMetrics() },
    {
      provide: ServingLog,
      inject: [CONFIG, ServingMetrics],
      useFactory: (c: FstoreConfig, m: ServingMetrics) =>
        new ServingLog(c.serving.logSampleRate, () => kafkaServingLogSink(c), {
          logged: (n) => m.servingLogRecords.inc(n),
          dropped: (n) => m.servingLogDropped.inc(n),
        }),
    },
    FeaturesService,
    AuthService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_PIPE, useClass: FieldValidationPipe },
    { provide: ErrorFilter, useValue: new ErrorFilter(usersUnavailable) },
    { provide: APP_FILTER, useExisting: ErrorFilter },
    EntityReadLane,
  ],
};

@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(
    @Inject(ONLINE_STORE) private readonly store: OnlineStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ServingLog) private readonly servingLog: ServingLog,
  ) {}

  /** The feature server with `config` (read once, by main.ts) given to every provider. */
  static forRoot(config: FstoreConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: FEATURE_SERVER.controllers,
      providers: [{ provide: CONFIG, useValue: config }, ...FEATURE_SERVER.providers],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.store.close(), this.pool.end(), this.servingLog.close()]);
  }
}
