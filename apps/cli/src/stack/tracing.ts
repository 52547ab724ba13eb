import { existsSync, renameSync, writeFileSync } from 'fs';
import { join } from 'path';
import { FstoreConfig, JAEGER_USER } from '@fstore/config';
import { ProcessStatus, StackContext } from './component';
import {
  aptInstall,
  commandExists,
  download,
  ensureDir,
  httpOk,
  probe,
  run,
  runningPid,
  spawnDaemon,
  StackError,
  stopProcess,
  waitUntil,
  writeIfChanged,
} from './processes';
import { shareWithServiceUser } from './service-user';
import { VERSIONS } from './versions';

export const JAEGER = 'jaeger';
const JAEGER_PACKAGE = 'github.com/jaegertracing/jaeger/cmd/jaeger';

/**
 * The Jaeger v2 release of a Go module version: Jaeger tags each release twice, v1.<m>.<p> (the
 * Go module's version, what the local stack builds) and v2.<m - 63>.<p> (its v2 binary's and the
 * jaegertracing/jaeger image's), since v1.63.0 / v2.0.0 (its CHANGELOG.md: "v1.76.0 / v2.13.0").
 */
export function jaegerRelease(moduleVersion = VERSIONS.jaeger): string {
  const m = /^v1\.(\d+)\.(\d+)$/.exec(moduleVersion);
  if (!m || Number(m[1]) < 63) throw new Error(`not a Jaeger v2 module version: ${moduleVersion}`);
  return `2.${Number(m[1]) - 63}.${m[2]}`;
}

/** Where the built binary lives: one per version, shared by every clone (the cache folder). */
export function jaegerBinary(cacheDir: string, version = VERSIONS.jaeger): string {
  return join(cacheDir, 'tools', `jaeger-${version}`, 'jaeger');
}

/**
 * The module that builds Jaeger. `go install …@version` refuses it (Jaeger's go.mod has a
 * replace directive), so a module of our own, with the same replace, requires it as a tool
 * (`go get -tool` adds the requirement at the pinned version).
 */
export const JAEGER_BUILD_MODULE = `module fstore.local/jaeger-build

go 1.24

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
`;

/**
 * Where the query APIs' basic auth finds its user: a bcrypt htpasswd file (the local stack writes
 * it, 0600), or an inline line (k8s: `fstore:\${env:FSTORE_JAEGER_PASSWORD}`, the password from
 * the pod's Secret, expanded by the Collector; never written to a file or a ConfigMap).
 */
export type JaegerHtpasswd = { file: string } | { inline: string };

/** The inline htpasswd line of k8s/base/monitoring/jaeger.yaml (the Collector expands ${env:…}). */
export const JAEGER_INLINE_HTPASSWD = `${JAEGER_USER}:\${env:FSTORE_JAEGER_PASSWORD}`;

/**
 * Jaeger v2's configuration (an OpenTelemetry Collector's): the OTLP/HTTP receiver, in-memory
 * storage of at most FSTORE_JAEGER_MAX_TRACES traces, the UI and query APIs (HTTP and gRPC)
 * behind HTTP basic auth. Everything binds to FSTORE_HOST (the stack's host; 0.0.0.0 in a pod);
 * its own telemetry is off (the Collector would otherwise serve metrics on :8888, the query
 * service send its own spans to localhost:4317). The local stack and k8s/ run this same text
 * (k8s/k8s.spec.ts compares the ConfigMap jaeger-config with it).
 */
export function jaegerConfig(config: FstoreConfig, htpasswd: JaegerHtpasswd): string {
  const t = config.jaeger;
  const host = config.host;
  const auth = 'file' in htpasswd ? `file: ${htpasswd.file}` : `inline: '${htpasswd.inline}'`;
  return `# Written by jaegerConfig() (apps/cli/src/stack/tracing.ts) from the fstore settings: edit those.
service:
  extensions: [basicauth/query, jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info

extensions:
  basicauth/query:
    htpasswd:
      ${auth}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: ${t.maxTraces}
  jaeger_query:
    storage:
      traces: memstore
    # Its own spans would go to an OTLP/gRPC collector on localhost:4317, retried forever.
    enable_tracing: false
    http:
      endpoint: ${host}:${t.queryPort}
      auth:
        authenticator: basicauth/query
    grpc:
      endpoint: ${host}:${t.queryGrpcPort}
      auth:
        authenticator: basicauth/query

receivers:
  otlp:
    protocols:
      http:
        endpoint: ${host}:${t.otlpPort}

processors:
  batch:

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/**
 * The trace store, a process of the monitoring component: Jaeger v2 (one process: OTLP receiver,
 * in-memory storage, UI and query API), built once from the Go module proxy into the cache
 * folder. The services send their spans to it (FSTORE_TRACING_OTLP_ENDPOINT's default); its UI
 * and /api/traces want the user `fstore` and FSTORE_JAEGER_PASSWORD.
 */
export class JaegerProcess {
  async install(ctx: StackContext): Promise<void> {
    const missing = [
      ['go', 'golang-go'],
      ['htpasswd', 'apache2-utils'],
    ].filter(([command]) => !commandExists(command));
    if (missing.length > 0)
      await aptInstall(
        missing.map(([, pkg]) => pkg),
        ctx.log,
      );
    const bin = jaegerBinary(ctx.config.cacheDir);
    if (existsSync(bin)) return;
    await this.build(ctx, bin);
  }

  /**
   * `go get -tool` (the modules, ~1.3 GB unpacked, from the Go module proxy), then `go build` at
   * the lowest priority (the machine's other work goes first). Modules and the build cache live
   * in the cache folder too, so a rebuild (another version) fetches only what changed.
   */
  private async build(ctx: StackContext, bin: string): Promise<void> {
    const version = VERSIONS.jaeger;
    const goDir = ensureDir(join(ctx.config.cacheDir, 'go'));
    const moduleDir = ensureDir(join(ctx.config.cacheDir, 'tools', `jaeger-${version}`, 'build'));
    writeFileSync(join(moduleDir, 'go.mod'), JAEGER_BUILD_MODULE);
    const env = {
      ...process.env,
      GOPATH: goDir,
      GOMODCACHE: join(goDir, 'pkg', 'mod'),
      GOCACHE: join(goDir, 'build-cache'),
      GOFLAGS: '-mod=mod -buildvcs=false',
      // Go ≥ 1.24 builds it; never fetch another toolchain.
      GOTOOLCHAIN: 'local',
    };
    await download(
      {
        what: `Jaeger ${version} modules (go get -tool ${JAEGER_PACKAGE})`,
        size: '~300 MB of module zips, a few minutes',
        log: ctx.log,
        into: [join(goDir, 'pkg', 'mod', 'cache', 'download')],
      },
      'go',
      ['get', '-tool', `${JAEGER_PACKAGE}@${version}`],
      { env, cwd: moduleDir },
    );
    const partial = `${bin}.partial`;
    await download(
      {
        what: `Jaeger ${version} (go build, at nice 19)`,
        size: 'a ~100 MB binary, ~10 minutes on 2 cores',
        log: ctx.log,
        into: [join(goDir, 'build-cache')],
        verbs: { doing: 'building', done: 'built' },
        heartbeatSeconds: 30,
      },
      'nice',
      ['-n', '19', 'go', 'build', '-trimpath', '-o', partial, JAEGER_PACKAGE],
      { env, cwd: moduleDir },
    );
    // Only a complete binary gets the name install() looks for.
    renameSync(partial, bin);
  }

  /** The auth header of the query APIs. */
  private authHeader(ctx: StackContext): string {
    const pw = ctx.config.jaeger.password ?? '';
    return `Basic ${Buffer.from(`${JAEGER_USER}:${pw}`).toString('base64')}`;
  }

  /** Writes the htpasswd file (bcrypt of the password) and the configuration, both 0600. */
  private writeConfig(ctx: StackContext): string {
    const pw = ctx.config.jaeger.password;
    if (!pw) throw new StackError('tracing: FSTORE_JAEGER_PASSWORD is not set');
    const dir = ensureDir(ctx.paths.data(JAEGER));
    const htpasswd = join(dir, 'htpasswd');
    const line = run('htpasswd', ['-niBC', '10', JAEGER_USER], { input: pw }).trim();
    writeIfChanged(htpasswd, `${line}\n`, 0o600);
    const config = join(dir, 'config.yaml');
    writeIfChanged(config, jaegerConfig(ctx.config, { file: htpasswd }), 0o600);
    return config;
  }

  async start(ctx: StackContext): Promise<number> {
    if (runningPid(ctx.paths, JAEGER) !== undefined) return 0;
    const config = this.writeConfig(ctx);
    // Root's, read by Jaeger, which writes nothing (service-user.ts).
    shareWithServiceUser(ctx.paths.data(JAEGER));
    spawnDaemon(ctx.paths, {
      name: JAEGER,
      command: jaegerBinary(ctx.config.cacheDir),
      args: ['--config', config],
    });
    return 1;
  }

  private ping(ctx: StackContext): Promise<void> {
    return httpOk(`${ctx.config.jaeger.url}/api/services`, {
      authorization: this.authHeader(ctx),
    });
  }

  async ready(ctx: StackContext): Promise<void> {
    await waitUntil('jaeger', () => this.ping(ctx), {
      timeoutMs: 60000,
      process: { paths: ctx.paths, name: JAEGER },
      intervalMs: 300,
    });
  }

  async status(ctx: StackContext, component: string): Promise<ProcessStatus> {
    const t = ctx.config.jaeger;
    return {
      component,
      process: JAEGER,
      pid: runningPid(ctx.paths, JAEGER),
      address: `${t.url} (user ${JAEGER_USER}), OTLP http://${ctx.config.host}:${t.otlpPort}`,
      ...(await probe(() => this.ping(ctx))),
    };
  }

  async stop(ctx: StackContext): Promise<void> {
    await stopProcess(ctx.paths, JAEGER);
  }
}
