import { randomUUID } from 'crypto';
import { existsSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { REGISTRY } from '@fstore/contracts';
import { exportDefinitions } from '@fstore/definitions';
import { LivyBatchesClient } from '@fstore/livy';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { sparkDirs } from '../../apps/cli/src/stack/spark';
import { stackContext } from '../../apps/cli/src/stack/stack';
import { keysOfRun } from './redis-keys';
import { batchOutput, sparkSubmit } from './spark';
import { shareWithServiceUser } from '../../apps/cli/src/stack/service-user';
import { stackWorkDir } from './work-dir';

/**
 * One test run of spark-jobs/batch_features.py on the batch stack: a database of its own
 * (test_<uuid>) loaded through Livy by load_raw_events, a Redis key prefix of its own (the keys
 * checked, and removed at the end, are only this run's), a work directory with the export of the
 * definitions and the batch user's Redis password file (0600).
 */
export class BatchFeaturesRun {
  readonly ctx = stackContext();
  readonly livy = LivyBatchesClient.fromConfig(this.ctx.config);
  readonly store = RedisClusterOnlineStore.fromConfig(this.ctx.config, 'fstore-admin', {
    commandTimeoutMs: 15000,
  });
  readonly run = randomUUID().replace(/-/g, '');
  readonly db = `test_${this.run}`;
  readonly prefix: string;
  readonly work: string;
  /** The definitions the job computes: the export of features/ (what `fstore features export` prints). */
  readonly definitionsFile: string;
  private readonly report = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs', 'history_report.py');
  private passwordFile: string | undefined;
  private dropped = false;

  /** `letter` starts the run's key prefix; `workName` the name of its temporary directory. */
  constructor(letter: string, workName: string) {
    this.prefix = `${letter}${this.run.slice(0, 8)}-`;
    this.work = stackWorkDir(workName);
    this.definitionsFile = join(this.work, 'definitions.json');
  }

  /** For beforeAll: the batch stack must be up; writes the password file and the definitions. */
  prepare(): void {
    const conf = join(sparkDirs(this.ctx).conf, 'spark-defaults.conf');
    if (!existsSync(conf)) throw new Error(`${conf} is missing: run \`fstore stack up batch\``);
    const batchPassword = this.ctx.config.redis.passwords['batch-features'];
    if (batchPassword) {
      this.passwordFile = join(this.work, 'redis-password');
      writeFileSync(this.passwordFile, batchPassword + '\n', { mode: 0o600 });
      // The batch (Livy's, the service user's when root runs the tests) reads it: 0640, group
      // the service user's.
      shareWithServiceUser(this.passwordFile);
    }
    writeFileSync(this.definitionsFile, JSON.stringify(exportDefinitions(REGISTRY)));
  }

  /** Loads an NDJSON file into the run's transactions table (load_raw_events through Livy). */
  async load(file: string): Promise<{ loaded: number; duplicates_in_file: number }> {
    const id = await this.livy.submit({
      file: join(PROJECT_ROOT, 'spark-jobs', 'load_raw_events.py'),
      args: ['--input', file, '--table', `${this.db}.transactions`],
      name: `test-load-${this.db}`,
    });
    const [load] = await batchOutput<{ loaded: number; duplicates_in_file: number }>(
      this.livy,
      id,
      'LOAD_SUMMARY ',
    );
    return load;
  }

  /** The batch job through Livy on the run's tables and Redis; its summaries, one per as-of. */
  async runBatch<Summary>(args: string[], name: string): Promise<Summary[]> {
    const { config } = this.ctx;
    const all = ['--definitions', this.definitionsFile, ...args];
    all.push('--table', `${this.db}.transactions`, '--history-table', `${this.db}.history`);
    all.push(
      '--redis-nodes',
      config.redis.clusterPorts.map((p) => `${config.redis.host}:${p}`).join(','),
    );
    if (this.passwordFile) all.push('--redis-password-file', this.passwordFile);
    const id = await this.livy.submit({
      file: join(PROJECT_ROOT, 'spark-jobs', 'batch_features.py'),
      args: all,
      name: `test-${name}-${this.db}`,
    });
    return batchOutput<Summary>(this.livy, id, 'BATCH_FEATURES_SUMMARY ');
  }

  /**
   * The history table read back by a separate Spark process (its HISTORY_REPORT line), dropping
   * the run's database; undefined when the report printed no such line.
   */
  async historyReport<Report>(): Promise<Report | undefined> {
    const out = await sparkSubmit(this.ctx, this.report, [
      `${this.db}.history`,
      '--drop-database',
      this.db,
    ]);
    this.dropped = true;
    const line = out.split('\n').find((l) => l.startsWith('HISTORY_REPORT '));
    return line === undefined
      ? undefined
      : (JSON.parse(line.slice('HISTORY_REPORT '.length)) as Report);
  }

  /** For afterAll: removes the run's Redis keys, database and work directory. */
  async cleanUp(): Promise<void> {
    const keys = await keysOfRun(this.store, this.prefix).catch(() => new Map<string, string>());
    await Promise.all([...keys.keys()].map((k) => this.store.client.del(k)));
    await this.store.close();
    if (!this.dropped) {
      await sparkSubmit(this.ctx, this.report, [
        `${this.db}.history`,
        '--drop-database',
        this.db,
      ]).catch(() => undefined);
    }
    rmSync(this.work, { recursive: true, force: true });
  }
}
