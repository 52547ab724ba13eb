import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { load } from 'js-yaml';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { flinkClientTls } from '@fstore/flink';
import {
  FlinkComponent,
  flinkConfigYaml,
  flinkLog4jProperties,
  FLINK_METRIC_COLLISION_FILTER,
  FLINK_PUSHGATEWAY_FAILURE_FILTER,
  flinkProcesses,
  flinkStateOptions,
  flinkWebOptions,
  stockJavaOpts,
} from './flink';
import * as processes from './processes';

/** Flink reads nested YAML keys as dotted ones: `a: {b: 1}` is `a.b: 1`. */
function flatten(doc: unknown, prefix = ''): Record<string, string> {
  if (doc === null || typeof doc !== 'object') return { [prefix]: String(doc) };
  return Object.assign(
    {},
    ...Object.entries(doc as Record<string, unknown>).map(([k, v]) =>
      flatten(v, prefix ? `${prefix}.${k}` : k),
    ),
  );
}

const dirs = { tmp: '/s/tmp', checkpoints: '/s/checkpoints', savepoints: '/s/savepoints' };
const render = (env: Record<string, string> = {}) =>
  flatten(load(flinkConfigYaml(loadConfig({ FSTORE_STACK_DIR: '/s', ...env }), dirs, '--add-x')));

describe('the generated Flink config.yaml', () => {
  it('uses RocksDB with incremental checkpoints and sized managed memory by default', () => {
    const conf = render();
    expect(conf['state.backend.type']).toBe('rocksdb');
    expect(conf['execution.checkpointing.incremental']).toBe('true');
    expect(conf['taskmanager.memory.process.size']).toBe('2048m');
    expect(conf['taskmanager.memory.managed.fraction']).toBe('0.4');
    expect(conf['execution.checkpointing.dir']).toBe('file:///s/checkpoints');
    expect(conf['execution.checkpointing.externalized-checkpoint-retention']).toBe(
      'RETAIN_ON_CANCELLATION',
    );
  });

  it('makes every JVM exit on OutOfMemoryError, keeping the JDK 17 module flags', () => {
    const conf = render();
    expect(conf['env.java.opts.all']).toBe('--add-x');
    expect(conf['env.java.opts.jobmanager']).toBe('-XX:+ExitOnOutOfMemoryError');
    expect(conf['env.java.opts.taskmanager']).toBe('-XX:+ExitOnOutOfMemoryError');
    expect(conf['env.java.opts.sql-gateway']).toBe('-Xmx512m -XX:+ExitOnOutOfMemoryError');
    expect(conf['taskmanager.jvm-exit-on-oom']).toBe('true');
  });

  it('follows the settings', () => {
    const conf = render({
      FSTORE_FLINK_STATE_BACKEND: 'hashmap',
      FSTORE_FLINK_INCREMENTAL_CHECKPOINTS: 'false',
      FSTORE_FLINK_MANAGED_MEMORY_FRACTION: '0.25',
      FSTORE_FLINK_TASKMANAGER_MEMORY: '4096m',
      FSTORE_FLINK_JVM_OPTS: '',
      FSTORE_FLINK_GATEWAY_HEAP: '1g',
    });
    expect(conf['state.backend.type']).toBe('hashmap');
    expect(conf['execution.checkpointing.incremental']).toBe('false');
    expect(conf['taskmanager.memory.managed.fraction']).toBe('0.25');
    expect(conf['taskmanager.memory.process.size']).toBe('4096m');
    expect(conf['env.java.opts.jobmanager']).toBeUndefined();
    expect(conf['env.java.opts.sql-gateway']).toBe('-Xmx1g');
  });

  it('carries every shared state option with the same value', () => {
    for (const env of [{}, { FSTORE_FLINK_MANAGED_MEMORY_FRACTION: '.3' }]) {
      const config = loadConfig({ FSTORE_STACK_DIR: '/s', ...env });
      const conf = flatten(load(flinkConfigYaml(config, dirs, '--add-x')));
      const shared = { ...flinkStateOptions(config), ...flinkWebOptions(config) };
      for (const [key, value] of Object.entries(shared)) {
        expect([key, conf[key]]).toEqual([key, value]);
      }
    }
  });

  it('refuses settings Flink would not understand', () => {
    const bad = (name: string, value: string) => () =>
      loadConfig({ FSTORE_STACK_DIR: '/s', [name]: value });
    expect(bad('FSTORE_FLINK_STATE_BACKEND', 'memory')).toThrow(/FSTORE_FLINK_STATE_BACKEND/);
    expect(bad('FSTORE_FLINK_INCREMENTAL_CHECKPOINTS', 'yes')).toThrow(/true, false/);
    for (const v of ['0', '1', '1.5', 'abc', '40%']) {
      expect(bad('FSTORE_FLINK_MANAGED_MEMORY_FRACTION', v)).toThrow(/fraction/);
    }
  });

  it('writes FSTORE_FLINK_PARALLELISM as parallelism.default and spreads slots over TaskManagers', () => {
    expect(render()['parallelism.default']).toBe('1');
    expect(render({ FSTORE_FLINK_PARALLELISM: '2' })['parallelism.default']).toBe('2');
    expect(render()['taskmanager.load-balance.mode']).toBe('SLOTS');
  });

  it('takes the JDK 17 module flags from the stock configuration', () => {
    const stock = 'env:\n  java:\n    opts:\n      all: --add-exports=a --add-opens=b\n';
    expect(stockJavaOpts(stock)).toBe('--add-exports=a --add-opens=b');
    expect(stockJavaOpts('env: {}\n')).toBe('');
  });
});

describe("the Flink processes' Log4j configuration", () => {
  const stock = 'rootLogger.level = INFO\nrootLogger.appenderRef.console.ref = ConsoleAppender\n\n';
  const written = flinkLog4jProperties(stock);
  const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));
  const keyOf = (line: string) => line.split('=')[0].trim();

  it('keeps the stock file and appends the two filters after it', () => {
    expect(written.startsWith(stock.trimEnd())).toBe(true);
    expect(written).toContain(FLINK_METRIC_COLLISION_FILTER);
    expect(written).toContain(FLINK_PUSHGATEWAY_FAILURE_FILTER);
  });

  it('drops only the pendingCommittables collision (FLINK-35321), not other metric collisions', () => {
    const regex = /\.filter\.pending\.regex = (.*)$/m.exec(FLINK_METRIC_COLLISION_FILTER)![1];
    const matches = (message: string) => new RegExp(`^${regex}$`).test(message);
    expect(
      matches(
        "Name collision: Group already contains a Metric with the name 'pendingCommittables'. Metric will not be reported.[127.0.0.1, taskmanager, fstore/features-transactions, Sink: Committer, 0]",
      ),
    ).toBe(true);
    expect(
      matches(
        "Name collision: Group already contains a Metric with the name 'numRecordsIn'. Metric will not be reported.[127.0.0.1, taskmanager]",
      ),
    ).toBe(false);
    expect(FLINK_METRIC_COLLISION_FILTER).toMatch(/\.onMatch = DENY$/m);
    expect(FLINK_METRIC_COLLISION_FILTER).toMatch(/\.onMismatch = NEUTRAL$/m);
  });

  it('lets one failed push to the Pushgateway through per 5 minutes', () => {
    expect(FLINK_PUSHGATEWAY_FAILURE_FILTER).toMatch(/\.type = BurstFilter$/m);
    const rate = Number(/\.rate = (.*)$/m.exec(FLINK_PUSHGATEWAY_FAILURE_FILTER)![1]);
    const burst = Number(/\.maxBurst = (.*)$/m.exec(FLINK_PUSHGATEWAY_FAILURE_FILTER)![1]);
    expect(Math.round(burst / rate)).toBe(303);
  });

  it('names loggers of its own, which no stock line configures', () => {
    const stockKeys = new Set(lines(stock).map(keyOf));
    const added = lines(written).slice(lines(stock).length).map(keyOf);
    expect(added.length).toBeGreaterThan(0);
    expect(added.filter((k) => stockKeys.has(k))).toEqual([]);
    expect(new Set(added).size).toBe(added.length);
  });
});

describe("the cluster's processes", () => {
  const config = (taskManagers: string) =>
    loadConfig({ FSTORE_STACK_DIR: '/s', FSTORE_FLINK_TASKMANAGERS: taskManagers });

  it('are the JobManager, FSTORE_FLINK_TASKMANAGERS TaskManagers and the SQL Gateway, in start order', () => {
    const names = (n: string) => flinkProcesses(config(n)).map((p) => p.name);
    expect(names('1')).toEqual(['jobmanager', 'taskmanager', 'sql-gateway']);
    expect(names('2')).toEqual(['jobmanager', 'taskmanager', 'taskmanager-2', 'sql-gateway']);
    expect(new FlinkComponent().processNames({ config: config('3') })).toEqual([
      'jobmanager',
      'taskmanager',
      'taskmanager-2',
      'taskmanager-3',
      'sql-gateway',
    ]);
    expect(flinkProcesses(config('2')).map((p) => p.script)).toEqual([
      'jobmanager.sh',
      'taskmanager.sh',
      'taskmanager.sh',
      'sql-gateway.sh',
    ]);
  });

  it('stop in reverse order, also a TaskManager left from a larger FSTORE_FLINK_TASKMANAGERS', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flink-stop-'));
    try {
      const paths = new processes.StackPaths(root);
      mkdirSync(paths.run, { recursive: true });
      for (const n of ['taskmanager-3', 'taskmanager-4']) writeFileSync(paths.pidFile(n), '{}');
      const stopped: string[] = [];
      const stop = jest
        .spyOn(processes, 'stopProcess')
        .mockImplementation(async (_paths, name) => (stopped.push(name), true));
      const cfg = loadConfig({ FSTORE_STACK_DIR: root, FSTORE_FLINK_TASKMANAGERS: '2' });
      await new FlinkComponent().stop({ config: cfg, paths, log: () => undefined });
      stop.mockRestore();
      expect(stopped).toEqual([
        'sql-gateway',
        'taskmanager-4',
        'taskmanager-3',
        'taskmanager-2',
        'taskmanager',
        'jobmanager',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the REST API's mutual TLS (issue 20, finding 2)", () => {
  const stores = (purpose: string) => ({
    keystore: `/s/tls/flink/${purpose}.ks.p12`,
    truststore: `/s/tls/flink/${purpose}.ts.p12`,
    password: 'pw',
  });
  const tls = { rest: stores('rest'), internal: stores('internal') };

  it('config.yaml turns on REST SSL with client authentication, and internal SSL, each with its key stores', () => {
    const conf = flatten(
      load(
        flinkConfigYaml(loadConfig({ FSTORE_STACK_DIR: '/s' }), dirs, '--add-x', undefined, tls),
      ),
    );
    expect(
      Object.fromEntries(Object.entries(conf).filter(([k]) => k.startsWith('security.'))),
    ).toEqual({
      'security.ssl.rest.enabled': 'true',
      'security.ssl.rest.authentication-enabled': 'true',
      'security.ssl.rest.keystore': '/s/tls/flink/rest.ks.p12',
      'security.ssl.rest.keystore-type': 'PKCS12',
      'security.ssl.rest.keystore-password': 'pw',
      'security.ssl.rest.key-password': 'pw',
      'security.ssl.rest.truststore': '/s/tls/flink/rest.ts.p12',
      'security.ssl.rest.truststore-type': 'PKCS12',
      'security.ssl.rest.truststore-password': 'pw',
      // RPC, blobs and data exchange: always mutual in Flink, with a key no REST client holds.
      'security.ssl.internal.enabled': 'true',
      'security.ssl.internal.keystore': '/s/tls/flink/internal.ks.p12',
      'security.ssl.internal.keystore-type': 'PKCS12',
      'security.ssl.internal.keystore-password': 'pw',
      'security.ssl.internal.key-password': 'pw',
      'security.ssl.internal.truststore': '/s/tls/flink/internal.ts.p12',
      'security.ssl.internal.truststore-type': 'PKCS12',
      'security.ssl.internal.truststore-password': 'pw',
    });
  });

  it('the clients default to https URLs and the stack-generated PEM files', () => {
    const config = loadConfig({ FSTORE_STACK_DIR: '/s' });
    expect(config.flink.restUrl).toBe('https://127.0.0.1:8081');
    expect(config.flink.gatewayUrl).toBe('https://127.0.0.1:8083');
    expect(config.flink.tls).toEqual({
      caFile: '/s/tls/flink/rest.crt',
      certFile: '/s/tls/flink/rest.crt',
      keyFile: '/s/tls/flink/rest.key',
    });
    expect(() => flinkClientTls(config)).toThrow(
      'FSTORE_FLINK_TLS_CA=/s/tls/flink/rest.crt does not exist: an https Flink needs it (the local stack generates it on `fstore stack up flink`)',
    );
    const plain = loadConfig({
      FSTORE_STACK_DIR: '/s',
      FSTORE_FLINK_REST_URL: 'http://flink:8081',
      FSTORE_FLINK_GATEWAY_URL: 'http://gateway:8083',
    });
    expect(flinkClientTls(plain)).toBeUndefined();
  });
});
