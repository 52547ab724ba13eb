import { CheckpointsRepository, RetainedState } from '../flink/checkpoints.repository';

/** Flink's retained checkpoints and savepoints in memory (the filesystem in production). */
export class InMemoryCheckpoints implements CheckpointsRepository {
  /** Complete checkpoints per Flink job: number → when its _metadata was written. */
  readonly checkpoints = new Map<string, Map<number, Date>>();
  /** Savepoints still on disk: location → when written. */
  readonly savepoints = new Map<string, Date>();

  /** Records a complete checkpoint `chk-<n>` of the job. */
  addCheckpoint(flinkJobId: string, n: number, modifiedAt: Date): void {
    const of = this.checkpoints.get(flinkJobId) ?? new Map<number, Date>();
    of.set(n, modifiedAt);
    this.checkpoints.set(flinkJobId, of);
  }

  checkpointsOf(flinkJobId: string): string {
    return `/checkpoints/${flinkJobId}`;
  }

  async latestCheckpoint(flinkJobId: string): Promise<RetainedState | undefined> {
    const of = [...(this.checkpoints.get(flinkJobId) ?? new Map<number, Date>())];
    const [n, modifiedAt] = of.sort(([a], [b]) => b - a)[0] ?? [];
    if (n === undefined || !modifiedAt) return undefined;
    return {
      path: `file://${this.checkpointsOf(flinkJobId)}/chk-${n}`,
      kind: 'checkpoint',
      modifiedAt,
    };
  }

  async retained(
    location: string,
    kind: RetainedState['kind'],
  ): Promise<RetainedState | undefined> {
    const checkpoint = /^file:\/\/\/checkpoints\/([^/]+)\/chk-(\d+)$/.exec(location);
    const modifiedAt = checkpoint
      ? this.checkpoints.get(checkpoint[1])?.get(Number(checkpoint[2]))
      : this.savepoints.get(location);
    return modifiedAt && { path: location, kind, modifiedAt };
  }
}
