import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@fstore/rest-api';
import { UsersRepository } from '@fstore/auth';
import { OnlineStore } from '@fstore/online-store';
import { Public } from '../auth/auth.decorators';
import { SERVING_ERRORS as E } from '../errors/api-errors';
import { StoreUnavailable } from '../errors/domain-errors';
import { ONLINE_STORE } from '../tokens';

const within = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
};

class LiveDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}
class ReadyChecksDto {
  @ApiProperty({ enum: ['ok'] }) redis!: 'ok';
  @ApiProperty({ example: 'ok', description: '"ok" or "unavailable: <reason>"' })
  postgres!: string;
}
class ReadyDto {
  @ApiProperty({ enum: ['ready'] }) status!: 'ready';
  @ApiProperty() checks!: ReadyChecksDto;
}
class LegacyHealthDto {
  @ApiProperty({ enum: ['healthy'] }) status!: 'healthy';
}

@ApiTags('health')
@ApiErrors(E.unhandled)
@Controller()
export class HealthController {
  constructor(
    @Inject(ONLINE_STORE) private readonly store: OnlineStore,
    @Inject(UsersRepository) private readonly users: UsersRepository,
  ) {}

  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  /**
   * Readiness: every Redis Cluster master answers and the cluster state is ok. PostgreSQL (the
   * users, for login only) is reported in `checks` but does not make the instance unready: feature
   * reads do not need it, and taking every instance out of the load balancer while PostgreSQL
   * restarts would stop the reads too.
   */
  @Public()
  @Get('health/ready')
  @ApiOkResponse({
    type: ReadyDto,
    description: 'ready; the postgres check is "ok" or "unavailable: …" (login answers 503 then)',
  })
  @ApiErrors(E.redisUnavailable)
  async ready(): Promise<ReadyDto> {
    const [redis, postgres] = await Promise.allSettled([
      this.store.checkHealth(),
      within(this.users.ping(), 2000),
    ]);
    if (redis.status === 'rejected') {
      throw StoreUnavailable((redis.reason as Error).message);
    }
    return {
      status: 'ready',
      checks: {
        redis: 'ok',
        postgres:
          postgres.status === 'fulfilled'
            ? 'ok'
            : `unavailable: ${(postgres.reason as Error).message}`,
      },
    };
  }

  /** The original API's health check. */
  @Public()
  @Get('api/health-check')
  @ApiOkResponse({ type: LegacyHealthDto })
  legacy(): LegacyHealthDto {
    return { status: 'healthy' };
  }
}
