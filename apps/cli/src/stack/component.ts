import { FstoreConfig } from '@fstore/config';
import { StackPaths } from './processes';

export interface StackContext {
  config: FstoreConfig;
  paths: StackPaths;
  log: (message: string) => void;
}

/** One row of `fstore stack status`. */
export interface ProcessStatus {
  component: string;
  process: string;
  pid?: number;
  address: string;
  healthy: boolean;
  detail?: string;
  /** Restarts by the stack's supervisor since its component was last brought up. */
  restarts?: number;
}

/**
 * A real service of the local stack. `up` = install (idempotent, cached) → start what is not
 * running → wait for a real round trip → post-start set-up (roles, topics, cluster forming).
 */
export interface StackComponent {
  readonly name: string;
  /** Components that must be up first. */
  readonly dependsOn?: readonly string[];
  install(ctx: StackContext): Promise<void>;
  /** Starts the processes that are not running; returns how many it started. */
  start(ctx: StackContext): Promise<number>;
  /** Waits until healthy and does post-start set-up; throws a StackError naming the log. */
  ready(ctx: StackContext): Promise<void>;
  status(ctx: StackContext): Promise<ProcessStatus[]>;
  stop(ctx: StackContext): Promise<void>;
  /** Process names whose logs `fstore stack logs` can show. */
  processNames(ctx: StackContext): string[];
}
