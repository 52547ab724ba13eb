import { AuditService } from '../audit/audit.service';
import { OperationsService } from '../operations/operations.service';
import { InMemoryControlStore } from './in-memory';
import { InMemoryOperationQueue } from './in-memory-queue';

/**
 * For unit tests of the services' rules: an in-memory store and queue, and the operation queue's
 * service on them (what every service that starts an operation is built on).
 */
export function inMemoryOperations() {
  const store = new InMemoryControlStore();
  const queue = new InMemoryOperationQueue();
  const operations = new OperationsService(
    store.transactions,
    store.operations,
    new AuditService(store.audit),
    queue,
  );
  return { store, queue, operations };
}
