/**
 * What the control plane needs from the batch runtime (Livy): submit a PySpark file with
 * arguments under a unique name, find it again by that name, its state, its log, kill it.
 */
export interface BatchRuntime {
  submit(req: { file: string; args: string[]; name: string }): Promise<number>;
  /** The batch of that name if the runtime still knows it (a submission before a crash). */
  findByName(name: string): Promise<number | undefined>;
  state(batchId: number): Promise<BatchState>;
  log(batchId: number, lines: number): Promise<string[]>;
  kill(batchId: number): Promise<void>;
  ping(): Promise<void>;
}

/** Livy's batch states. */
export type BatchState =
  | 'not_started'
  | 'starting'
  | 'recovering'
  | 'idle'
  | 'running'
  | 'busy'
  | 'shutting_down'
  | 'error'
  | 'dead'
  | 'killed'
  | 'success';

export const FINAL_BATCH_STATES: readonly BatchState[] = ['success', 'dead', 'killed', 'error'];

export const BATCH_RUNTIME = Symbol('BatchRuntime');
