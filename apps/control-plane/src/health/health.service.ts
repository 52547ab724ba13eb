import { Inject, Injectable } from '@nestjs/common';
import { Unavailable } from '../errors/domain-errors';
import { FlinkRepository } from '../flink/flink.repository';
import { QueueRepository } from '../queue/queue.repository';
import { Transactions } from '../store/transactions';
import { FLINK, QUEUE, TRANSACTIONS } from '../tokens';

const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  ]);

@Injectable()
export class HealthService {
  constructor(
    @Inject(TRANSACTIONS) private readonly db: Transactions,
    @Inject(QUEUE) private readonly queue: QueueRepository,
    @Inject(FLINK) private readonly flink: FlinkRepository,
  ) {}

  /** Each dependency's state, without failing (the console's health page). */
  async checks(): Promise<{ name: string; status: 'ok' | 'down'; detail: string | null }[]> {
    const checks = this.dependencyChecks();
    const results = await Promise.allSettled(
      Object.values(checks).map((check) => within(check(), 3000)),
    );
    return Object.keys(checks).map((name, i) => {
      const r = results[i];
      return r.status === 'fulfilled'
        ? { name, status: 'ok' as const, detail: null }
        : { name, status: 'down' as const, detail: String(r.reason?.message ?? r.reason) };
    });
  }

  private dependencyChecks(): Record<'postgres' | 'queue_redis' | 'flink', () => Promise<unknown>> {
    return {
      postgres: () => this.db.ping(),
      queue_redis: () => this.queue.ping(),
      flink: () => this.flink.ping(),
    };
  }

  async ready(): Promise<{
    status: 'ready';
    checks: { postgres: 'ok'; queue_redis: 'ok'; flink: 'ok' };
  }> {
    const checks = this.dependencyChecks();
    const results = await Promise.allSettled(
      Object.values(checks).map((check) => within(check(), 3000)),
    );
    const failed = Object.keys(checks)
      .map((name, i) => [name, results[i]] as const)
      .filter(([, r]) => r.status === 'rejected')
      .map(([name, r]) => `${name}: ${String((r as PromiseRejectedResult).reason?.message)}`);
    if (failed.length) throw Unavailable('dependencies', failed.join('; '));
    return { status: 'ready', checks: { postgres: 'ok', queue_redis: 'ok', flink: 'ok' } };
  }
}
