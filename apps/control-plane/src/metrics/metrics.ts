import { Counter } from 'prom-client';
import { HttpMetrics } from '@fstore/rest-api';

/** The control plane's Prometheus metrics: requests (shared) plus operations and reconciling. */
export class ControlMetrics extends HttpMetrics {
  readonly operations = new Counter({
    name: 'fstore_control_operations_total',
    help: 'Operations finished by this process, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  readonly reconciled = new Counter({
    name: 'fstore_control_reconcile_passes_total',
    help: 'Reconciler passes completed',
    registers: [this.registry],
  });

  constructor() {
    super('fstore_control');
  }
}
