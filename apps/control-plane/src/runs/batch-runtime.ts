import { BatchState } from '@fstore/livy';

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
