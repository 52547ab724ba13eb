import { FstoreConfig } from '@fstore/config';
import { LivyBatchesClient } from '@fstore/livy';
import { BatchState } from '@fstore/livy';
import { BatchRuntime } from './batch-runtime';

/** Livy's batch API through @fstore/livy; no rules here. */
export class LivyRepository implements BatchRuntime {
  constructor(private readonly client: LivyBatchesClient) {}

  static fromConfig(config: FstoreConfig): LivyRepository {
    return new LivyRepository(LivyBatchesClient.fromConfig(config));
  }

  submit(req: { file: string; args: string[]; name: string }): Promise<number> {
    return this.client.submit({ file: req.file, args: req.args, name: req.name });
  }

  async findByName(name: string): Promise<number | undefined> {
    return (await this.client.list()).find((b) => b.name === name)?.id;
  }

  state(batchId: number): Promise<BatchState> {
    return this.client.state(batchId);
  }

  async log(batchId: number, lines: number): Promise<string[]> {
    return (await this.client.fullLog(batchId)).slice(-lines);
  }

  kill(batchId: number): Promise<void> {
    return this.client.kill(batchId);
  }

  async ping(): Promise<void> {
    await this.client.list();
  }
}
