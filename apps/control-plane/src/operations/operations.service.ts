import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/api-keys.service';
import { OperationEntity, OperationKind } from '@fstore/control-store';
import { IdempotencyKeyReused, NotFound } from '../errors/domain-errors';
import { QueueRepository } from '../queue/queue.repository';
import { Transaction, Transactions } from '../store/transactions';
import { OPERATIONS_REPOSITORY, QUEUE, TRANSACTIONS } from '../tokens';
import { OperationsRepository } from './operations.repository';

export interface OperationRequest {
  kind: OperationKind;
  /** The audit action, e.g. deployment.pause. */
  action: string;
  request: Record<string, unknown>;
  principal: Principal;
  idempotencyKey?: string;
}

export interface Accepted {
  operation: OperationEntity;
  /** False when the idempotency key named an operation that already existed. */
  created: boolean;
}

/** The operation's target, and what the worker needs to know about the state before it. */
export type Prepared = string | { target: string; progress: Record<string, unknown> };

/** What the service asks of the queue (QueueRepository; an in-memory one in unit tests). */
export type OperationQueue = Pick<QueueRepository, 'enqueue' | 'has'>;

/**
 * Accepts asynchronous operations: checks and records them (with the state change they imply) in
 * one transaction, then queues them for the worker. The same idempotency key gives the same
 * operation.
 */
@Injectable()
export class OperationsService {
  private readonly logger = new Logger('operations');

  constructor(
    @Inject(TRANSACTIONS) private readonly transactions: Transactions,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(QUEUE) private readonly queue: OperationQueue,
  ) {}

  /**
   * `prepare` runs in the transaction, checks the transition (throwing a domain error to refuse
   * it), applies it and returns the operation's target.
   */
  async accept(
    req: OperationRequest,
    prepare: (tx: Transaction, operationId: string) => Promise<Prepared>,
  ): Promise<Accepted> {
    if (req.idempotencyKey) {
      const existing = await this.byKey(req.idempotencyKey, req);
      if (existing) return { operation: existing, created: false };
    }
    let operation: OperationEntity;
    try {
      operation = await this.transactions.run(async (tx) => {
        const id = randomUUID();
        const prepared = await prepare(tx, id);
        const { target, progress } =
          typeof prepared === 'string' ? { target: prepared, progress: {} } : prepared;
        const row = await this.operations.insert(
          {
            id,
            idempotencyKey: req.idempotencyKey ?? null,
            kind: req.kind,
            target,
            request: req.request,
            status: 'queued',
            attempts: 0,
            progress,
            result: null,
            error: null,
            actor: req.principal.actor,
            finishedAt: null,
          },
          tx,
        );
        await this.audit.record(
          {
            actor: req.principal.actor,
            action: req.action,
            target,
            outcome: 'accepted',
            detail: { operation_id: id, request: req.request },
          },
          tx,
        );
        return row;
      });
    } catch (e) {
      // Two requests with the same new key at once: the loser answers with the winner's.
      if (this.transactions.isUniqueViolation(e) && req.idempotencyKey) {
        const existing = await this.byKey(req.idempotencyKey, req);
        if (existing) return { operation: existing, created: false };
      }
      throw e;
    }
    await this.enqueue(operation.id);
    return { operation, created: true };
  }

  private async byKey(key: string, req: OperationRequest): Promise<OperationEntity | null> {
    const existing = await this.operations.byIdempotencyKey(key);
    if (!existing) return null;
    if (existing.kind !== req.kind || !sameJson(existing.request, req.request)) {
      throw IdempotencyKeyReused(key);
    }
    // Queued in PostgreSQL but maybe not in Redis (a crash between the two): queue it again.
    if (existing.status === 'queued') await this.enqueue(existing.id);
    return existing;
  }

  /** Queues the operation; if Redis is down the reconciler's sweep queues it later. */
  async enqueue(id: string): Promise<void> {
    try {
      await this.queue.enqueue(id);
    } catch (e) {
      this.logger.warn({ msg: 'could not queue operation; the sweep will', id, error: String(e) });
    }
  }

  /** Whether the queue still holds the operation (in any state). */
  isQueued(id: string): Promise<boolean> {
    return this.queue.has(id);
  }

  async get(id: string): Promise<OperationEntity> {
    const op = await this.operations.get(id);
    if (!op) throw NotFound('operation', id);
    return op;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}
