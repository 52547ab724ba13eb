/**
 * Transactions over the control plane's PostgreSQL, as the services see them: a service says
 * which statements belong together (`run`), the repositories run them (issue 22: services hold
 * the rules, repositories hold the SQL). A service never looks inside a Transaction; it hands it
 * to the repositories' methods.
 */
export interface Transaction {
  readonly transaction: true;
}

export interface Transactions {
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Whether the error is a unique constraint refusing a row (two writers of the same key). */
  isUniqueViolation(e: unknown): boolean;
  /** Resolves once the database answers a statement (readiness); rejects with why it did not. */
  ping(): Promise<void>;
}
