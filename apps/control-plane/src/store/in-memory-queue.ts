import { OperationQueue } from '../operations/operations.service';

/** The operation queue in memory (BullMQ's in production): what was queued, in order. */
export class InMemoryOperationQueue implements OperationQueue {
  readonly queued: string[] = [];
  /** Set to make enqueue fail as Redis being down would. */
  down = false;

  async enqueue(operationId: string): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED (in-memory queue down)');
    this.queued.push(operationId);
  }

  async has(operationId: string): Promise<boolean> {
    return this.queued.includes(operationId);
  }
}
