/**
 * The manifests against the code: every check here reads the fact from its source of truth
 * (SETTINGS, the apps' health routes, STACK_TOPICS, the local stack's Airflow connections) and
 * fails when a manifest drifts from it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { basename, dirname, join, relative, resolve } from 'path';
import { loadAll } from 'js-yaml';
import { PATH_METADATA } from '@nestjs/common/constants';
import {
  FstoreConfig,
  KAFKA_BROKER_PASSWORD_SETTING,
  KAFKA_PASSWORD_SETTINGS,
  KAFKA_SUPER_USERS,
  KAFKA_USERS,
  kafkaAcls,
  kafkaGrants,
  KafkaPatternType,
  KafkaUser,
  loadConfig,
  PROJECT_ROOT,
  REDIS_PASSWORD_SETTINGS,
  REDIS_QUEUE_PASSWORD_SETTINGS,
  redisAclTemplate,
  redisClusterAclRules,
  redisQueueAclRules,
  RedisClusterUser,
  RedisQueueUser,
  resolveSettings,
  SETTINGS,
  SettingName,
  SettingSpec,
} from '@fstore/config';
import { FEATURES, kafkaAclTopics, partitionsOf, STACK_TOPICS } from '@fstore/contracts';
import { AirflowComponent, airflowConnections } from '../apps/cli/src/stack/airflow';
import {
  flinkKafkaJaas,
  flinkSslOptions,
  FLINK_METRIC_COLLISION_FILTER,
  flinkStateOptions,
  flinkWebOptions,
} from '../apps/cli/src/stack/flink';
import {
  K8S_FLINK_TLS_CLIENT_FILES,
  K8S_FLINK_TLS_DIR,
  K8S_FLINK_TLS_FILES,
  K8S_FLINK_TLS_SECRET,
  k8sConfigData,
  k8sFlinkTls,
} from '../apps/cli/src/k8s/flink-tls';
import { AUTH_FILTER_CLASS } from '../apps/cli/src/stack/livy';
import { AUTH_LIMITED_PATHS } from '../apps/cli/src/stack/serving';
import { JAEGER_INLINE_HTPASSWD, jaegerConfig, jaegerRelease } from '../apps/cli/src/stack/tracing';
import { VERSIONS } from '../apps/cli/src/stack/versions';
import { KAFKA_METRICS_RULES } from '../apps/cli/src/stack/kafka';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML */
type Doc = Record<string, any>;
interface Manifest {
  file: string;
  doc: Doc;
}

const K8S = join(PROJECT_ROOT, 'k8s');
const APP_IMAGE = 'ghcr.io/fstore/app';
const SECRETS = 'fstore-secrets';
const CONFIG_MAP = 'fstore-config';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const files = yamlFiles(K8S);
const kustomizations = files.filter((f) => basename(f) === 'kustomization.yaml');
const manifests: Manifest[] = files
  .filter((f) => basename(f) !== 'kustomization.yaml' && !f.includes(`${join(K8S, 'overlays')}`))
  .flatMap((file) =>
    loadAll(readFileSync(file, 'utf8'))
      .filter((doc) => doc != null)
      .map((doc) => ({ file: relative(K8S, file), doc: doc as Doc })),
  );
const ofKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const named = (kind: string, name: string): Doc => {
  const doc = ofKind(kind).find((d) => d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} in k8s/base`);
  return doc;
};

/** Pod-bearing workloads with their pod spec. */
const workloads = manifests.flatMap(({ file, doc }) => {
  const pod =
    doc.kind === 'CronJob' ? doc.spec.jobTemplate.spec.template : doc.spec?.template?.spec;
  return ['Deployment', 'StatefulSet', 'Job'].includes(doc.kind) && pod
    ? [{ file, doc, pod: pod as Doc, labels: (doc.spec.template.metadata?.labels ?? {}) as Doc }]
    : [];
});
const containersOf = (pod: Doc): Doc[] => [...(pod.initContainers ?? []), ...pod.containers];

/** The deployables of apps/ as they run in the cluster: `node bin/app.js <app>`. */
const appDeployments = workloads
  .filter((w) => w.doc.kind === 'Deployment')
  .flatMap((w) =>
    w.pod.containers
      .filter((c: Doc) => String(c.image).startsWith(`${APP_IMAGE}:`))
      .map((c: Doc) => ({ ...w, app: c.args[0] as string, container: c })),
  );

const configData: Record<string, string> = named('ConfigMap', CONFIG_MAP).data;
const config: FstoreConfig = loadConfig(configData);

const isSecret = (name: string) =>
  (SETTINGS as Record<string, SettingSpec>)[name]?.kind === 'secret';

/** The Redis users' passwords (one ACL user per component, libs/config/src/redis-acl.ts). */
const redisPasswords = new Set<string>([
  ...Object.values(REDIS_PASSWORD_SETTINGS),
  ...Object.values(REDIS_QUEUE_PASSWORD_SETTINGS),
]);

/** The services' PostgreSQL roles' passwords (postgresLogin). */
const postgresRolePasswords = new Set(['FSTORE_PG_SERVING_PASSWORD', 'FSTORE_PG_CONTROL_PASSWORD']);

describe('k8s manifests: files', () => {
  it('parse, and every object has a kind and a name', () => {
    expect(manifests.length).toBeGreaterThan(40);
    for (const { file, doc } of manifests) {
      expect([file, typeof doc.apiVersion, typeof doc.kind]).toEqual([file, 'string', 'string']);
      expect([file, doc.metadata?.name]).toEqual([file, expect.stringMatching(/^[a-z0-9.-]+$/)]);
    }
  });

  it('each kustomization lists exactly the files and component folders beside it', () => {
    const folders = new Set(files.map((f) => dirname(f)));
    for (const dir of folders) {
      expect([relative(K8S, dir), existsSync(join(dir, 'kustomization.yaml'))]).toEqual([
        relative(K8S, dir),
        true,
      ]);
    }
    for (const k of kustomizations) {
      const dir = dirname(k);
      const doc = loadAll(readFileSync(k, 'utf8'))[0] as Doc;
      const listed: string[] = [
        ...(doc.resources ?? []),
        ...(doc.patches ?? []).map((p: Doc) => p.path).filter(Boolean),
      ];
      for (const entry of listed)
        expect([k, entry, existsSync(resolve(dir, entry))]).toEqual([k, entry, true]);
      const local = listed.filter((e) => !e.startsWith('..')).sort();
      const present = readdirSync(dir)
        .filter((n) => n !== 'kustomization.yaml')
        .filter((n) =>
          statSync(join(dir, n)).isDirectory()
            ? existsSync(join(dir, n, 'kustomization.yaml'))
            : /\.ya?ml$/.test(n),
        )
        .sort();
      expect([relative(K8S, k), local]).toEqual([relative(K8S, k), present]);
    }
  });
});

describe('k8s manifests: configuration', () => {
  /** Every FSTORE_* name a manifest sets or reads, with where. */
  const fstoreNames = (): [string, string][] => {
    const out: [string, string][] = Object.keys(configData).map((k) => [k, CONFIG_MAP]);
    for (const w of workloads) {
      for (const c of containersOf(w.pod)) {
        for (const e of c.env ?? []) {
          out.push([e.name, `${w.file} env`]);
          const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
          if (ref) out.push([ref.key, `${w.file} ${e.name} ref`]);
        }
      }
    }
    return out.filter(([n]) => n.startsWith('FSTORE_'));
  };

  it('every FSTORE_* variable is a setting of libs/config/src/settings.ts', () => {
    const unknown = fstoreNames().filter(([n]) => !(n in SETTINGS));
    expect(unknown).toEqual([]);
  });

  it('fstore-config holds valid values and no secret', () => {
    expect(() => loadConfig(configData)).not.toThrow();
    expect(Object.keys(configData).filter(isSecret)).toEqual([]);
  });

  it('pods bind 0.0.0.0 and reach every dependency by its own name, never FSTORE_HOST', () => {
    expect(configData.FSTORE_HOST).toBe('0.0.0.0');
    // A setting derived from FSTORE_HOST is a client address: the ConfigMap must name it.
    const probe = resolveSettings({ FSTORE_HOST: 'host.sentinel', FSTORE_STACK_DIR: '/none' });
    const derived = (Object.keys(SETTINGS) as SettingName[]).filter(
      (n) => n !== 'FSTORE_HOST' && probe[n]?.includes('host.sentinel'),
    );
    expect(derived).toContain('FSTORE_REDIS_HOST');
    expect(derived.filter((n) => !(n in configData))).toEqual([]);
    expect(Object.values(configData).filter((v) => /\b(127\.0\.0\.1|localhost)\b/.test(v))).toEqual(
      [],
    );
  });

  it('a secret setting is only ever a secretKeyRef to fstore-secrets under its own name', () => {
    for (const w of workloads) {
      for (const c of containersOf(w.pod)) {
        for (const e of (c.env ?? []).filter((x: Doc) => isSecret(x.name))) {
          expect([w.file, e.name, e.value, e.valueFrom?.secretKeyRef]).toEqual([
            w.file,
            e.name,
            undefined,
            { name: SECRETS, key: e.name },
          ]);
        }
      }
    }
  });

  /**
   * The source files an app loads from main.ts: its own and the @fstore libs', transitively. Not
   * libs/config's own: it resolves every setting for anyone; what an app reads is in its code.
   */
  function importClosure(app: string): string {
    const aliases = JSON.parse(readFileSync(join(PROJECT_ROOT, 'tsconfig.json'), 'utf8'))
      .compilerOptions.paths as Record<string, string[]>;
    const seen = new Set<string>();
    const queue = [join(PROJECT_ROOT, 'apps', app, 'src', 'main.ts')];
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // `await import('./app')` too: main.ts loads its app after starting tracing.
      for (const [, spec] of text.matchAll(/(?:from|import|import\(|require\()\s*'([^']+)'/g)) {
        const base = spec.startsWith('.')
          ? resolve(dirname(file), spec)
          : aliases[spec]
            ? join(PROJECT_ROOT, aliases[spec][0])
            : undefined;
        if (!base) continue;
        const found = [base, `${base}.ts`, join(base, 'index.ts')].find(
          (p) => existsSync(p) && statSync(p).isFile(),
        );
        if (found && !found.startsWith(join(PROJECT_ROOT, 'libs', 'config'))) queue.push(found);
      }
    }
    return [...seen].map((f) => readFileSync(f, 'utf8')).join('\n');
  }

  /** Where a secret setting lands in FstoreConfig, e.g. FSTORE_PG_PASSWORD → postgres.password. */
  function configPath(name: string): string[] {
    const cfg = loadConfig({ FSTORE_STACK_DIR: '/none', [name]: 'secret.sentinel' });
    const find = (o: any, path: string[]): string[] | undefined => {
      for (const [k, v] of Object.entries(o)) {
        if (v === 'secret.sentinel') return [...path, k];
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          const hit = find(v, [...path, k]);
          if (hit) return hit;
        }
      }
      return undefined;
    };
    return find(cfg, [])!;
  }

  /** The services' PostgreSQL roles an app logs in as: `postgresLogin(config, '<role>')`. */
  function postgresPasswordsOf(code: string): string[] {
    const roles = [...code.matchAll(/postgresLogin\(\s*[\w.]+,\s*'(\w+)'/g)].map(([, r]) => r);
    return roles.map((r) => `FSTORE_PG_${r.toUpperCase()}_PASSWORD`);
  }

  /** The Redis users an app logs in as: the literal user of each login call in its code. */
  function redisPasswordsOf(code: string): string[] {
    const cluster = [...code.matchAll(/(?:fromConfig|redisCredentials)\(\s*[\w.]+,\s*'([\w-]+)'/g)];
    const queue = [...code.matchAll(/redisQueueCredentials\(\s*[\w.]+,\s*'([\w-]+)'/g)];
    return [
      ...cluster.map(([, u]) => REDIS_PASSWORD_SETTINGS[u as RedisClusterUser]),
      ...queue.map(([, u]) => REDIS_QUEUE_PASSWORD_SETTINGS[u as RedisQueueUser]),
    ];
  }

  /** The Kafka users an app logs in as: `kafkaClientConfig(config, '<user>')`. */
  function kafkaPasswordsOf(code: string): string[] {
    const users = [...code.matchAll(/kafkaClientConfig\(\s*[\w.]+,\s*'([\w-]+)'/g)];
    return users.map(([, u]) => KAFKA_PASSWORD_SETTINGS[u as KafkaUser]);
  }

  it('every app gets each secret its code reads from the Secret, and no Redis password but its own', () => {
    const kafkaPasswords = [
      ...Object.values(KAFKA_PASSWORD_SETTINGS),
      KAFKA_BROKER_PASSWORD_SETTING,
    ];
    const roleSecrets = new Set([...redisPasswords, ...postgresRolePasswords, ...kafkaPasswords]);
    const secrets = Object.keys(SETTINGS).filter((n) => isSecret(n) && !roleSecrets.has(n));
    expect(appDeployments.map((d) => d.app).sort()).toEqual(
      ['control-plane', 'feature-server', 'feature-writer', 'producer'].sort(),
    );
    const expected: Record<string, string[]> = {};
    for (const d of appDeployments) {
      const code = importClosure(d.app);
      const needed = secrets.filter((name) => {
        const path = configPath(name);
        // The field itself (`c.redis.password`), or its section handed over whole (`...c.postgres`).
        const prefixes = path.map((_, i) => path.slice(0, i + 1).join('\\.'));
        return prefixes.some((p, i) =>
          new RegExp(`\\.${p}${i === prefixes.length - 1 ? '\\b' : '\\b(?![.\\w])'}`).test(code),
        );
      });
      const redis = [
        ...redisPasswordsOf(code),
        ...postgresPasswordsOf(code),
        ...kafkaPasswordsOf(code),
      ];
      const given = (d.container.env ?? [])
        .filter((e: Doc) => e.valueFrom?.secretKeyRef)
        .map((e: Doc) => e.name);
      expect([d.app, [...needed, ...redis].filter((n) => !given.includes(n))]).toEqual([d.app, []]);
      expect([d.app, given.filter((n: string) => roleSecrets.has(n)).sort()]).toEqual([
        d.app,
        [...new Set(redis)].sort(),
      ]);
      expected[d.app] = [...new Set(redis)].sort();
    }
    // The table of docs/security.md, checked here against the code.
    expect(expected).toEqual({
      'control-plane': [
        'FSTORE_PG_CONTROL_PASSWORD',
        'FSTORE_REDIS_CONTROL_PASSWORD',
        'FSTORE_REDIS_QUEUE_PASSWORD',
      ],
      'feature-server': [
        'FSTORE_KAFKA_SERVER_PASSWORD',
        'FSTORE_PG_SERVING_PASSWORD',
        'FSTORE_REDIS_SERVER_PASSWORD',
      ],
      'feature-writer': ['FSTORE_KAFKA_WRITER_PASSWORD', 'FSTORE_REDIS_WRITER_PASSWORD'],
      producer: ['FSTORE_KAFKA_PRODUCER_PASSWORD'],
    });
  });

  it('every app container takes fstore-config whole, as the local stack takes its environment', () => {
    for (const d of appDeployments) {
      expect([d.app, d.container.envFrom]).toEqual([
        d.app,
        [{ configMapRef: { name: CONFIG_MAP } }],
      ]);
    }
  });
});

describe('k8s manifests: apps', () => {
  /**
   * Routes an app really serves: Nest controllers' metadata, or a plain http server's `req.url`,
   * in its own source or a lib it imports (the producer's metrics server is in libs/ingest).
   */
  function servedPaths(app: string): Set<string> {
    const src = join(PROJECT_ROOT, 'apps', app, 'src');
    const sources = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) return sources(p);
        return n.endsWith('.ts') && !/\.(medium-)?spec\.ts$/.test(n) ? [p] : [];
      });
    const own = sources(src);
    const libs = new Set(
      own.flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/from '@fstore\/([a-z-]+)'/g)].map(([, l]) => l),
      ),
    );
    const paths = new Set<string>();
    for (const file of [
      ...own,
      ...[...libs].flatMap((l) => sources(join(PROJECT_ROOT, 'libs', l, 'src'))),
    ]) {
      const text = readFileSync(file, 'utf8');
      if (file.endsWith('.controller.ts')) {
        const mod = jest.requireActual<Record<string, unknown>>(file);
        for (const ctrl of Object.values(mod).filter((v) => typeof v === 'function') as any[]) {
          const prefix: string | undefined = Reflect.getMetadata(PATH_METADATA, ctrl);
          if (prefix === undefined) continue;
          for (const key of Object.getOwnPropertyNames(ctrl.prototype)) {
            const route: string | undefined = Reflect.getMetadata(
              PATH_METADATA,
              ctrl.prototype[key],
            );
            if (route !== undefined)
              paths.add(`/${prefix}/${route}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1'));
          }
        }
      }
      for (const [, p] of text.matchAll(/req\.url === '([^']+)'/g)) paths.add(p);
    }
    return paths;
  }

  /** The port each app listens on, as its main.ts reads it from the configuration. */
  const appPort: Record<string, (c: FstoreConfig) => number> = {
    'feature-server': (c) => c.serving.port,
    'control-plane': (c) => c.control.port,
    'feature-writer': (c) => c.writer.metricsPort,
    producer: (c) => c.producer.metricsPort,
  };

  it.each(appDeployments.map((d) => [d.app, d] as const))(
    '%s: probes and the Prometheus scrape point at routes the app serves, on its configured port',
    (app, d) => {
      const served = servedPaths(app);
      const c = d.container;
      const portNames = new Map<string, number>(c.ports.map((p: Doc) => [p.name, p.containerPort]));
      expect([...portNames.values()]).toEqual([appPort[app](config)]);
      for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const get = c[kind]?.httpGet;
        if (kind !== 'startupProbe')
          expect([app, kind, get?.path]).toEqual([app, kind, expect.any(String)]);
        if (!get) continue;
        expect([app, kind, get.path, served.has(get.path)]).toEqual([app, kind, get.path, true]);
        expect([
          app,
          kind,
          portNames.has(get.port) || [...portNames.values()].includes(get.port),
        ]).toEqual([app, kind, true]);
      }
      const ann = d.doc.spec.template.metadata.annotations;
      expect(ann['prometheus.io/scrape']).toBe('true');
      expect(Number(ann['prometheus.io/port'])).toBe(appPort[app](config));
      expect(served.has(ann['prometheus.io/path'])).toBe(true);
    },
  );

  it('the feature server scales (HPA) and keeps a pod through disruptions (PDB)', () => {
    const hpa = named('HorizontalPodAutoscaler', 'feature-server');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'feature-server' });
    const pdb = named('PodDisruptionBudget', 'feature-server');
    expect(pdb.spec.selector.matchLabels).toEqual(
      named('Deployment', 'feature-server').spec.selector.matchLabels,
    );
    const ingress = named('Ingress', 'feature-server');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(backend.name).toBe('feature-server');
    expect(new URL(config.serving.url).hostname).toBe(backend.name);
  });

  it('the public Ingresses route the APIs only: /metrics, /docs and /health stay in the cluster', () => {
    const routed = ['feature-server', 'feature-server-auth'].flatMap((name) =>
      named('Ingress', name).spec.rules.flatMap((r: Doc) =>
        r.http.paths.map((p: Doc) => [p.path as string, p.pathType as string]),
      ),
    );
    const reaches = (url: string) =>
      routed.some(([path, type]) => (type === 'Exact' ? url === path : url.startsWith(path)));
    for (const url of [
      '/v1/features/batch',
      '/api/v1/offline/product-revenue',
      '/api/auth/login',
    ]) {
      expect([url, reaches(url)]).toEqual([url, true]);
    }
    for (const url of ['/metrics', '/docs', '/docs-json', '/health/ready', '/']) {
      expect([url, reaches(url)]).toEqual([url, false]);
    }
  });

  it('login and refresh are rate-limited per address at the Ingress, as FSTORE_SERVING_LB_AUTH_RATE says', () => {
    const auth = named('Ingress', 'feature-server-auth');
    const ann = auth.metadata.annotations;
    expect(Number(ann['nginx.ingress.kubernetes.io/limit-rps'])).toBe(config.auth.lbAuthRate);
    expect(ann['nginx.ingress.kubernetes.io/limit-burst-multiplier']).toBe('4');
    const main = named('Ingress', 'feature-server');
    expect(auth.spec.rules.map((r: Doc) => r.host)).toEqual(
      main.spec.rules.map((r: Doc) => r.host),
    );
    const paths = auth.spec.rules[0].http.paths;
    expect(paths.map((p: Doc) => [p.path, p.pathType, p.backend.service.name])).toEqual(
      AUTH_LIMITED_PATHS.map((p) => [p, 'Exact', 'feature-server']),
    );
    // The feature routes themselves are not limited.
    expect(Object.keys(main.metadata.annotations).filter((a) => a.includes('limit'))).toEqual([]);
  });

  it('every container is locked down and sized', () => {
    for (const w of workloads) {
      const podCtx = w.pod.securityContext ?? {};
      for (const c of containersOf(w.pod)) {
        const where = `${w.file} ${c.name}`;
        expect([where, c.securityContext?.runAsNonRoot ?? podCtx.runAsNonRoot]).toEqual([
          where,
          true,
        ]);
        expect([where, c.securityContext?.allowPrivilegeEscalation]).toEqual([where, false]);
        expect([where, Object.keys(c.resources?.requests ?? {}).sort()]).toEqual([
          where,
          ['cpu', 'memory'],
        ]);
        expect([where, Object.keys(c.resources?.limits ?? {}).sort()]).toEqual([
          where,
          ['cpu', 'memory'],
        ]);
      }
    }
    for (const d of appDeployments)
      expect([d.app, d.container.securityContext.readOnlyRootFilesystem]).toEqual([d.app, true]);
  });
});

describe('k8s manifests: services and addresses', () => {
  const services = ofKind('Service');
  const portsOf = (svc: Doc) => {
    const pods = workloads.filter((w) =>
      Object.entries(svc.spec.selector ?? {}).every(([k, v]) => w.labels[k] === v),
    );
    return {
      pods,
      ports: pods.flatMap((w) => w.pod.containers.flatMap((c: Doc) => c.ports ?? [])),
    };
  };

  it.each(services.map((s) => [s.metadata.name, s] as const))(
    'Service %s selects pods and its target ports are their container ports',
    (_, svc) => {
      const { pods, ports } = portsOf(svc);
      expect(pods.length).toBeGreaterThan(0);
      for (const p of svc.spec.ports) {
        const target = p.targetPort ?? p.port;
        const hit = ports.find((cp: Doc) => cp.name === target || cp.containerPort === target);
        expect([p.name, target, hit !== undefined]).toEqual([p.name, target, true]);
      }
    },
  );

  /** host:port a client setting points at → the Service (or operator-made Service) serving it. */
  function served(host: string, port: number): boolean {
    const svc = services.find((s) => s.metadata.name === host);
    if (svc) return svc.spec.ports.some((p: Doc) => p.port === port);
    const kafka = ofKind('Kafka').find((k) => `${k.metadata.name}-kafka-bootstrap` === host);
    if (kafka) return kafka.spec.kafka.listeners.some((l: Doc) => l.port === port && !l.tls);
    const flink = ofKind('FlinkDeployment').find((f) => `${f.metadata.name}-rest` === host);
    if (flink) return Number(flink.spec.flinkConfiguration['rest.port']) === port;
    return false;
  }

  it('every address in fstore-config is a Service of the manifests, on the right port', () => {
    const url = (u: string) => [new URL(u).hostname, Number(new URL(u).port || 80)] as const;
    const addresses: [string, string, number][] = [
      ['FSTORE_PG_HOST', config.postgres.host, config.postgres.port],
      ['FSTORE_REDIS_QUEUE_HOST', config.redis.queueHost, config.redis.queuePort],
      ...config.redis.clusterPorts.map(
        (p) => ['FSTORE_REDIS_HOST', config.redis.host, p] as [string, string, number],
      ),
      ...config.kafka.brokers.map(
        (b) =>
          ['FSTORE_KAFKA_BROKERS', b.split(':')[0], Number(b.split(':')[1])] as [
            string,
            string,
            number,
          ],
      ),
      ['FSTORE_FLINK_REST_URL', ...url(config.flink.restUrl)],
      ['FSTORE_FLINK_GATEWAY_URL', ...url(config.flink.gatewayUrl)],
      ['FSTORE_LIVY_URL', ...url(config.livy.url)],
      ['FSTORE_CONTROL_URL', ...url(config.control.url)],
      ['FSTORE_SERVING_URL', ...url(config.serving.url)],
      ['FSTORE_TRACING_OTLP_ENDPOINT', ...url(config.tracing.endpoint!)],
    ];
    for (const [name, host, port] of addresses) {
      expect([name, host, port, served(host, port)]).toEqual([name, host, port, true]);
    }
  });

  it('the Airflow connections are the ones the local stack derives from the same settings', () => {
    const expected = airflowConnections({
      ...config,
      control: { ...config.control, apiKey: '$(FSTORE_API_KEY)' },
    });
    const scheduler = named('Deployment', 'airflow-scheduler').spec.template.spec.containers[0];
    const env = new Map<string, string>(scheduler.env.map((e: Doc) => [e.name, e.value]));
    for (const conn of Object.keys(expected).filter((k) => k.startsWith('AIRFLOW_CONN_'))) {
      expect([conn, JSON.parse(env.get(conn) ?? 'null')]).toEqual([
        conn,
        JSON.parse(expected[conn]),
      ]);
    }
    const db = env.get('AIRFLOW__DATABASE__SQL_ALCHEMY_CONN')!;
    expect(db).toContain(`@${config.postgres.host}:${config.postgres.port}/`);
  });
});

describe('k8s manifests: Airflow as the local stack runs it', () => {
  it('one Deployment per process of the local stack, each the same Airflow command', () => {
    const processes = new AirflowComponent().processNames();
    const deployments = ofKind('Deployment')
      .map((d) => d.metadata.name as string)
      .filter((n) => n.startsWith('airflow-'));
    expect(deployments.sort()).toEqual([...processes].sort());
    for (const name of processes) {
      const [container] = named('Deployment', name).spec.template.spec.containers;
      expect([name, container.args[0]]).toEqual([name, name.replace(/^airflow-/, '')]);
    }
  });

  it('LocalExecutor, deferred sensors, the DAG folder importable, metadata in PostgreSQL under its own role', () => {
    const airflowConfig = named('ConfigMap', 'airflow-config').data;
    expect(airflowConfig).toMatchObject({
      AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
      AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE: 'True',
      PYTHONPATH: airflowConfig.AIRFLOW__CORE__DAGS_FOLDER,
    });
    for (const name of new AirflowComponent().processNames()) {
      const [container] = named('Deployment', name).spec.template.spec.containers;
      const env = new Map<string, Doc>(container.env.map((e: Doc) => [e.name, e]));
      expect([name, env.get('AIRFLOW__DATABASE__SQL_ALCHEMY_CONN')?.value]).toEqual([
        name,
        `postgresql+psycopg2://$(FSTORE_AIRFLOW_DB_USER):$(FSTORE_AIRFLOW_DB_PASSWORD)@${config.postgres.host}:${config.postgres.port}/$(FSTORE_AIRFLOW_DB_DATABASE)`,
      ]);
    }
    expect(config.airflow.db).toMatchObject({ database: 'fstore_airflow', user: 'fstore_airflow' });
  });
});

describe('k8s manifests: Kafka, Flink, Redis', () => {
  it('KafkaTopics are exactly the topics of libs/contracts, configured as the code says', () => {
    const kafka = ofKind('Kafka');
    expect(kafka).toHaveLength(1);
    expect(kafka[0].spec.kafka.listeners.map((l: Doc) => l.port)).toContain(config.kafka.port);
    const topics = ofKind('KafkaTopic');
    expect(topics.map((t) => t.spec.topicName).sort()).toEqual(
      STACK_TOPICS.map((t) => t.name).sort(),
    );
    for (const t of topics) {
      const spec = STACK_TOPICS.find((s) => s.name === t.spec.topicName)!;
      const policy = {
        'cleanup.policy': t.spec.config?.['cleanup.policy'],
        'retention.ms': t.spec.config?.['retention.ms'],
      };
      expect([t.spec.topicName, policy]).toEqual([
        spec.name,
        {
          'cleanup.policy': spec.config['cleanup.policy'] ?? 'delete',
          // Retention the code does not fix (the raw topics') is the cluster's to choose.
          'retention.ms': spec.config['retention.ms'] ?? policy['retention.ms'],
        },
      ]);
      expect([t.spec.topicName, t.spec.partitions]).toEqual([
        spec.name,
        partitionsOf(spec, config.kafka),
      ]);
      expect(t.metadata.labels['strimzi.io/cluster']).toBe(kafka[0].metadata.name);
    }
  });

  it('Kafka authenticates every client (SCRAM-SHA-512) and denies what no ACL allows', () => {
    const [kafka] = ofKind('Kafka');
    for (const l of kafka.spec.kafka.listeners) {
      expect([l.name, l.authentication]).toEqual([l.name, { type: 'scram-sha-512' }]);
    }
    expect(kafka.spec.kafka.authorization).toEqual({
      type: 'simple',
      superUsers: KAFKA_SUPER_USERS.filter((u) => (KAFKA_USERS as readonly string[]).includes(u)),
    });
    expect(kafka.spec.entityOperator.userOperator).toEqual({});
  });

  it('Flink logs in to Kafka as flink from a JAAS file, Spark ingest from its environment', () => {
    const [fd] = ofKind('FlinkDeployment');
    const file = '/opt/flink/kafka-login/kafka-client.jaas';
    expect(fd.spec.flinkConfiguration['env.java.opts.all']).toBe(
      `-Djava.security.auth.login.config=${file}`,
    );
    const [init] = fd.spec.podTemplate.spec.initContainers;
    const script: string = init.command[2];
    // The file the local stack writes (flinkKafkaJaas), the password left to the shell.
    const expected = flinkKafkaJaas({
      kafka: { ...config.kafka, passwords: { ...config.kafka.passwords, flink: '%s' } },
    });
    expect(script).toContain(`printf '${expected.replace(/\n/g, '\\n')}'`);
    expect(script).toContain(`"$FSTORE_KAFKA_FLINK_PASSWORD" > ${file}`);
    expect(init.env.map((e: Doc) => e.name)).toEqual(['FSTORE_KAFKA_FLINK_PASSWORD']);
    const livy = named('Deployment', 'livy').spec.template.spec.containers[0];
    expect(livy.env.map((e: Doc) => e.name)).toContain('FSTORE_KAFKA_INGEST_PASSWORD');
  });

  it("Livy loads the local stack's bearer-token filter, from the image, with the token from the Secret", () => {
    const start: string = named('ConfigMap', 'livy-start').data['start.sh'];
    expect(start).toContain('livy.server.auth.type = fstore-token');
    expect(start).toContain(`livy.server.auth.fstore-token.class = ${AUTH_FILTER_CLASS}`);
    expect(start).toContain('livy.server.auth.fstore-token.param.token-file = $conf/auth-token');
    expect(start).toContain(
      `(umask 077 && printf '%s\\n' "$FSTORE_LIVY_TOKEN" > "$conf/auth-token")`,
    );
    const livy = named('Deployment', 'livy').spec.template.spec.containers[0];
    expect(
      livy.env.find((e: Doc) => e.name === 'FSTORE_LIVY_TOKEN').valueFrom.secretKeyRef,
    ).toEqual({ name: 'fstore-secrets', key: 'FSTORE_LIVY_TOKEN' });
    // Every HTTP request needs the token, so the probes only open the port.
    expect([livy.livenessProbe.tcpSocket, livy.readinessProbe.tcpSocket]).toEqual([
      { port: 'http' },
      { port: 'http' },
    ]);
    const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY stack/livy/auth/BearerTokenFilter.java');
    expect(dockerfile).toContain('jar cf /out/livy/fstore-livy-auth.jar');
  });

  it('a KafkaUser per component with exactly the ACLs of libs/config/src/kafka-acl.ts', () => {
    // Strimzi's names of the pattern types (its CRD takes `literal` or `prefix`).
    const strimziPatternTypes: Record<KafkaPatternType, string> = {
      literal: 'literal',
      prefixed: 'prefix',
    };
    const users = ofKind('KafkaUser');
    expect(users.map((u) => u.metadata.name).sort()).toEqual([...KAFKA_USERS].sort());
    // Kubernetes has no scratch namespace: the tests and benchmarks run against the local stack.
    const declared = kafkaAcls(kafkaAclTopics(config.writer.groupId, false));
    for (const u of users) {
      const user = u.metadata.name as KafkaUser;
      expect(u.metadata.labels['strimzi.io/cluster']).toBe(ofKind('Kafka')[0].metadata.name);
      expect([user, u.spec.authentication]).toEqual([
        user,
        {
          type: 'scram-sha-512',
          password: {
            valueFrom: { secretKeyRef: { name: SECRETS, key: KAFKA_PASSWORD_SETTINGS[user] } },
          },
        },
      ]);
      const acls = (u.spec.authorization?.acls ?? []).map((a: Doc) => ({
        type: a.resource.type,
        pattern: a.resource.patternType,
        name: a.resource.name,
        operations: a.operations,
        host: a.host,
      }));
      expect([user, acls]).toEqual([
        user,
        declared[user].map((a) => ({
          ...a,
          pattern: strimziPatternTypes[a.pattern],
          operations: [...a.operations],
          host: '*',
        })),
      ]);
    }
  });

  it("a job's topic and group parameters may name what the KafkaUser flink is granted, no more", () => {
    const flink = kafkaAcls(kafkaAclTopics(config.writer.groupId, false)).flink;
    expect(config.flink.kafkaGrants).toEqual({
      topics: kafkaGrants(flink, 'topic'),
      groups: kafkaGrants(flink, 'group'),
    });
    expect(config.flink.kafkaGrants.topics).not.toContain('test.*');
  });

  it('the Flink session cluster and SQL Gateway use the configured ports, sizes and checkpoints', () => {
    const [fd] = ofKind('FlinkDeployment');
    const f = config.flink;
    expect(fd.spec.flinkVersion).toBe('v2_2');
    expect(fd.spec.job).toBeUndefined();
    const conf = fd.spec.flinkConfiguration;
    expect(conf['taskmanager.numberOfTaskSlots']).toBe(String(f.taskSlots));
    expect(conf['parallelism.default']).toBe(String(f.parallelism));
    expect(conf['rest.port']).toBe(String(f.restPort));
    expect(conf['jobmanager.rpc.port']).toBe(String(f.rpcPort));
    expect(conf['blob.server.port']).toBe(String(f.blobPort));
    expect(conf['execution.checkpointing.interval']).toBe(f.checkpointInterval);
    expect(fd.spec.jobManager.resource.memory).toBe(f.jobManagerMemory);
    expect(fd.spec.taskManager.resource.memory).toBe(f.taskManagerMemory);
    const gw = named('Deployment', 'flink-sql-gateway').spec.template.spec.containers[0];
    const opts = new Map<string, string>(
      gw.args.map(
        (a: string) => a.replace(/^-D/, '').split(/=(.*)/s).slice(0, 2) as [string, string],
      ),
    );
    expect(opts.get('sql-gateway.endpoint.rest.port')).toBe(String(f.gatewayPort));
    expect(opts.get('rest.address')).toBe(`${fd.metadata.name}-rest`);
    expect(opts.get('rest.port')).toBe(String(f.restPort));
    expect(opts.get('execution.checkpointing.interval')).toBe(f.checkpointInterval);
    expect(opts.get('execution.checkpointing.dir')).toBe(conf['execution.checkpointing.dir']);
    expect(conf['execution.checkpointing.dir']).toBe(`file://${f.checkpointDir}`);
    expect(opts.get('env.java.opts.sql-gateway')).toBe(`-Xmx${f.gatewayHeap} ${f.jvmOpts}`);
    expect(opts.get('state.backend.type')).toBe(f.stateBackend);
    expect(opts.get('execution.checkpointing.incremental')).toBe(String(f.incrementalCheckpoints));
  });

  it('the Flink cluster carries the state and memory options of the local config.yaml', () => {
    const conf = ofKind('FlinkDeployment')[0].spec.flinkConfiguration;
    const shared = { ...flinkStateOptions(config), ...flinkWebOptions(config) };
    expect(Object.keys(shared)).toEqual(
      expect.arrayContaining(['state.backend.type', 'execution.checkpointing.incremental']),
    );
    for (const [key, value] of Object.entries(shared)) {
      expect([key, conf[key]]).toEqual([key, value]);
    }
    // The deprecated spelling would be a second, possibly contradicting, source.
    expect(conf['state.backend.incremental']).toBeUndefined();
    // The SQL Gateway answers browsers as the JobManager does.
    const gateway = named('Deployment', 'flink-sql-gateway').spec.template.spec.containers[0];
    const origin = 'web.access-control-allow-origin';
    expect(gateway.args).toContain(`-D${origin}=${flinkWebOptions(config)[origin]}`);
  });

  it("the Flink cluster's log configuration filters FLINK-35321's warning as the local stack does", () => {
    const [fd] = ofKind('FlinkDeployment');
    const log4j: string = fd.spec.logConfiguration['log4j-console.properties'];
    expect(log4j).toContain(FLINK_METRIC_COLLISION_FILTER);
    // It replaces the operator's file: the pods still log everything else to the console.
    expect(log4j).toMatch(/^rootLogger\.appenderRef\.console\.ref = ConsoleAppender$/m);
    expect(log4j).toMatch(/^appender\.console\.type = CONSOLE$/m);
    // The cluster scrapes Flink's metrics: no Pushgateway, so no filter of its failures.
    expect(log4j).not.toContain('PrometheusPushGatewayReporter');
  });

  it("Flink's REST API and SQL Gateway speak mutual TLS as locally, with the Secret flink-tls (issue 20)", () => {
    const ssl = flinkSslOptions(k8sFlinkTls());
    expect(ssl['security.ssl.rest.authentication-enabled']).toBe('true');
    const [fd] = ofKind('FlinkDeployment');
    const conf = fd.spec.flinkConfiguration;
    const sslKeys = (keys: string[]) => keys.filter((k) => k.startsWith('security.ssl.')).sort();
    expect(sslKeys(Object.keys(conf))).toEqual(Object.keys(ssl).sort());
    for (const [key, value] of Object.entries(ssl)) expect([key, conf[key]]).toEqual([key, value]);
    const gateway = named('Deployment', 'flink-sql-gateway').spec.template.spec;
    const gatewayOpts = (gateway.containers[0].args as string[]).filter((a) =>
      a.startsWith('-Dsecurity.ssl.'),
    );
    expect(gatewayOpts.sort()).toEqual(
      Object.entries(ssl)
        .map(([k, v]) => `-D${k}=${v}`)
        .sort(),
    );
    // Each pod mounts the Secret where the options and FSTORE_FLINK_TLS_* look.
    const secretMount = (pod: Doc, container: Doc) => {
      const volume = (pod.volumes as Doc[]).find(
        (v) => v.secret?.secretName === K8S_FLINK_TLS_SECRET,
      );
      const mount = (container.volumeMounts as Doc[]).find((m) => m.name === volume?.name);
      return { path: mount?.mountPath, readOnly: mount?.readOnly, items: volume?.secret.items };
    };
    const template = fd.spec.podTemplate.spec;
    const main = template.containers.find((c: Doc) => c.name === 'flink-main-container');
    expect(secretMount(template, main)).toEqual({
      path: K8S_FLINK_TLS_DIR,
      readOnly: true,
      items: undefined,
    });
    expect(secretMount(gateway, gateway.containers[0])).toEqual({
      path: K8S_FLINK_TLS_DIR,
      readOnly: true,
      items: undefined,
    });
    // The control plane: the REST certificate and key only, never a key store.
    const cp = named('Deployment', 'control-plane').spec.template.spec;
    expect(secretMount(cp, cp.containers[0])).toEqual({
      path: K8S_FLINK_TLS_DIR,
      readOnly: true,
      items: K8S_FLINK_TLS_CLIENT_FILES.map((f) => ({ key: f, path: f })),
    });
    expect(config.flink.restUrl.startsWith('https://')).toBe(true);
    expect(config.flink.gatewayUrl.startsWith('https://')).toBe(true);
    expect(config.flink.tls).toEqual({
      caFile: `${K8S_FLINK_TLS_DIR}/rest.crt`,
      certFile: `${K8S_FLINK_TLS_DIR}/rest.crt`,
      keyFile: `${K8S_FLINK_TLS_DIR}/rest.key`,
    });
    // The stores the options name are files of the Secret (fstore k8s flink-tls writes them).
    const stores = [ssl['security.ssl.rest.keystore'], ssl['security.ssl.rest.truststore']];
    stores.push(ssl['security.ssl.internal.keystore'], ssl['security.ssl.internal.truststore']);
    for (const file of stores)
      expect(K8S_FLINK_TLS_FILES).toContain(file.slice(K8S_FLINK_TLS_DIR.length + 1));
    // The kubelet holds no client certificate: the gateway's probes only open the port.
    for (const probe of ['livenessProbe', 'readinessProbe'])
      expect(gateway.containers[0][probe]).toMatchObject({ tcpSocket: { port: 'rest' } });
    expect(k8sConfigData()).toEqual(configData);
  });

  it("Redis users are the local stack's (libs/config/src/redis-acl.ts), each pod gets only its password", () => {
    const data = named('ConfigMap', 'redis-config').data;
    const features = FEATURES.map((f) => ({ name: f.name, engine: f.engine }));
    expect(data['cluster-users.acl']).toBe(
      redisAclTemplate(redisClusterAclRules(features), REDIS_PASSWORD_SETTINGS),
    );
    expect(data['queue-users.acl']).toBe(
      redisAclTemplate(redisQueueAclRules(), REDIS_QUEUE_PASSWORD_SETTINGS),
    );
    const redisEnv = (kind: string, name: string) =>
      named(kind, name)
        .spec.template.spec.containers[0].env.filter((e: Doc) => redisPasswords.has(e.name))
        .map((e: Doc) => e.name)
        .sort();
    // The nodes hash every user's password into their ACL file; the queue only its own users'.
    expect(redisEnv('StatefulSet', 'redis-cluster')).toEqual(
      Object.values(REDIS_PASSWORD_SETTINGS).sort(),
    );
    expect(redisEnv('StatefulSet', 'redis-queue')).toEqual(
      [...new Set(Object.values(REDIS_QUEUE_PASSWORD_SETTINGS))].sort(),
    );
    expect(redisEnv('Job', 'redis-cluster-bootstrap')).toEqual(['FSTORE_REDIS_ADMIN_PASSWORD']);
    expect(redisEnv('Deployment', 'livy')).toEqual(['FSTORE_REDIS_BATCH_PASSWORD']);
    expect(data['start.sh']).toContain('masteruser replication');
  });

  it('only the control plane reaches the SQL Gateway, the JobManager REST API and Livy (NetworkPolicies)', () => {
    const policies = ofKind('NetworkPolicy');
    const selecting = (labels: Doc) =>
      policies.filter((p) =>
        Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v),
      );
    /** The label sets allowed to reach `port` of pods with `labels`. */
    const allowedTo = (labels: Doc, port: number) =>
      selecting(labels).flatMap((p) =>
        p.spec.ingress
          .filter((rule: Doc) => !rule.ports || rule.ports.some((x: Doc) => x.port === port))
          .flatMap((rule: Doc) => (rule.from ?? [{ anyone: true }]).map((f: Doc) => f)),
      );
    const names = (from: Doc[]) =>
      from.map((f) =>
        f.anyone
          ? 'anyone'
          : (f.podSelector?.matchLabels?.['app.kubernetes.io/name'] ??
            JSON.stringify(f.podSelector?.matchLabels)),
      );
    for (const [labels, port] of [
      [{ 'app.kubernetes.io/name': 'flink-sql-gateway' }, config.flink.gatewayPort],
      [{ 'app.kubernetes.io/name': 'livy' }, config.livy.port],
    ] as const) {
      expect(selecting(labels).every((p) => p.spec.policyTypes.includes('Ingress'))).toBe(true);
      expect([labels, names(allowedTo(labels, port))]).toEqual([labels, ['control-plane']]);
    }
    const jobManager = { app: 'fstore-flink', component: 'jobmanager' };
    expect(names(allowedTo(jobManager, config.flink.restPort)).sort()).toEqual(
      [
        'control-plane',
        'flink-kubernetes-operator',
        'flink-sql-gateway',
        '{"app":"fstore-flink"}',
      ].sort(),
    );
  });

  it('Redis Cluster has 6 nodes and the bootstrap Job waits for all of them', () => {
    const sts = named('StatefulSet', 'redis-cluster');
    expect(sts.spec.replicas).toBe(6);
    const job = named('Job', 'redis-cluster-bootstrap').spec.template.spec.containers[0];
    expect(job.env.find((e: Doc) => e.name === 'REPLICAS').value).toBe(String(sts.spec.replicas));
    const ports = sts.spec.template.spec.containers[0].ports.map((p: Doc) => p.containerPort);
    expect(ports).toEqual(expect.arrayContaining(config.redis.clusterPorts));
  });
});

describe('k8s manifests: monitoring', () => {
  it('the PrometheusRule carries exactly the alert groups of monitoring/alerts.yml', () => {
    const [rule] = ofKind('PrometheusRule');
    const source = loadAll(
      readFileSync(join(__dirname, '..', 'monitoring', 'alerts.yml'), 'utf8'),
    )[0] as any;
    expect(rule.spec.groups).toEqual(source.groups);
  });

  /** The Services of the manifests a ServiceMonitor of fstore's namespace selects. */
  const monitoredServices = (m: Doc) =>
    ofKind('Service').filter((svc) =>
      Object.entries(m.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v),
    );

  it('a ServiceMonitor scrapes each fstore service and exporter the local Prometheus scrapes', () => {
    const local = ofKind('ServiceMonitor').filter((m) => !m.spec.namespaceSelector);
    expect(local.map((m) => m.metadata.name).sort()).toEqual(
      [
        'control-plane',
        'feature-server',
        'feature-writer',
        'postgres',
        'redis-cluster',
        'redis-queue',
      ].sort(),
    );
    for (const m of local) {
      const services = monitoredServices(m);
      expect([m.metadata.name, services.length]).toEqual([m.metadata.name, 1]);
      expect(services[0].spec.ports.map((p: any) => p.name)).toContain(m.spec.endpoints[0].port);
    }
    // The load balancer is the ingress controller, in its own namespace, with its own metrics.
    expect(named('ServiceMonitor', 'ingress-nginx').spec).toMatchObject({
      namespaceSelector: { matchNames: ['ingress-nginx'] },
      endpoints: [{ port: 'metrics', path: '/metrics' }],
    });
  });

  it("Kafka's brokers serve the local broker's JMX exporter rules, Strimzi's Kafka Exporter the lag; PodMonitors scrape both", () => {
    const [kafka] = ofKind('Kafka');
    const ref = kafka.spec.kafka.metricsConfig.valueFrom.configMapKeyRef;
    expect(kafka.spec.kafka.metricsConfig.type).toBe('jmxPrometheusExporter');
    // The very text of the local broker's rules file (its comments included).
    expect(named('ConfigMap', ref.name).data[ref.key]).toBe(
      readFileSync(KAFKA_METRICS_RULES, 'utf8'),
    );
    expect(kafka.spec.kafkaExporter).toMatchObject({ topicRegex: '.*', groupRegex: '.*' });
    const cluster = kafka.metadata.name;
    const selectors = Object.fromEntries(
      ofKind('PodMonitor').map((m) => [m.metadata.name, m.spec.selector.matchLabels]),
    );
    expect(selectors).toEqual({
      'kafka-brokers': {
        'strimzi.io/cluster': cluster,
        'strimzi.io/kind': 'Kafka',
        'strimzi.io/name': `${cluster}-kafka`,
      },
      'kafka-exporter': {
        'strimzi.io/cluster': cluster,
        'strimzi.io/kind': 'Kafka',
        'strimzi.io/name': `${cluster}-kafka-exporter`,
      },
    });
    for (const m of ofKind('PodMonitor'))
      expect([m.metadata.name, m.spec.podMetricsEndpoints]).toEqual([
        m.metadata.name,
        [{ port: 'tcp-prometheus', path: '/metrics', interval: '15s' }],
      ]);
  });

  /** Each exporter: its sidecar, the setting of its local port, the one secret it may read. */
  const exporters = [
    {
      monitor: 'redis-cluster',
      workload: 'redis-cluster',
      image: `oliver006/redis_exporter:v${VERSIONS.redisExporter}`,
      port: config.monitoring.redisExporterPort,
      secrets: { REDIS_PASSWORD: REDIS_PASSWORD_SETTINGS.metrics },
    },
    {
      monitor: 'redis-queue',
      workload: 'redis-queue',
      image: `oliver006/redis_exporter:v${VERSIONS.redisExporter}`,
      port: config.monitoring.redisExporterPort,
      secrets: { REDIS_PASSWORD: REDIS_QUEUE_PASSWORD_SETTINGS.metrics },
    },
    {
      monitor: 'postgres',
      workload: 'postgres',
      image: `quay.io/prometheuscommunity/postgres-exporter:v${VERSIONS.postgresExporter}`,
      port: config.monitoring.postgresExporterPort,
      secrets: { DATA_SOURCE_PASS: 'FSTORE_PG_MONITOR_PASSWORD' },
    },
  ];

  it.each(exporters.map((e) => [e.monitor, e] as const))(
    "%s: an exporter sidecar of stack/versions.json, on the local port, with the metrics user's secret only, scraped",
    (_, e) => {
      const sts = named('StatefulSet', e.workload);
      const [main, ...sidecars] = sts.spec.template.spec.containers;
      expect(main.name).not.toBe('metrics');
      expect(sidecars.map((c: Doc) => c.name)).toEqual(['metrics']);
      const [exporter] = sidecars;
      expect(exporter.image).toBe(e.image);
      expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: e.port }]);
      expect(exporter.args).toContain(`--web.listen-address=:${e.port}`);
      const secretRefs = Object.fromEntries(
        (exporter.env ?? [])
          .filter((x: Doc) => x.valueFrom?.secretKeyRef)
          .map((x: Doc) => [x.name, x.valueFrom.secretKeyRef]),
      );
      expect(secretRefs).toEqual(
        Object.fromEntries(
          Object.entries(e.secrets).map(([env, key]) => [env, { name: SECRETS, key }]),
        ),
      );
      expect(exporter.envFrom).toBeUndefined();
      for (const probe of [exporter.livenessProbe, exporter.readinessProbe])
        expect(probe.httpGet.port).toBe('metrics');
      const [service] = monitoredServices(named('ServiceMonitor', e.monitor));
      expect(service.spec.selector).toEqual(sts.spec.selector.matchLabels);
      expect(service.spec.ports).toEqual([
        { name: 'metrics', port: e.port, targetPort: 'metrics' },
      ]);
    },
  );

  it("Jaeger: the local stack's release and configuration, its password from the Secret only", () => {
    const deployment = named('Deployment', 'jaeger');
    const pod = deployment.spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    const [c] = pod.containers;
    expect(c.image).toBe(`jaegertracing/jaeger:${jaegerRelease(VERSIONS.jaeger)}`);
    // The very configuration the local stack writes, from fstore-config's settings.
    expect(named('ConfigMap', 'jaeger-config').data['config.yaml']).toBe(
      jaegerConfig(config, { inline: JAEGER_INLINE_HTPASSWD }),
    );
    expect(c.args).toEqual(['--config', '/etc/jaeger/config.yaml']);
    const configVolume = pod.volumes.find((v: Doc) => v.configMap?.name === 'jaeger-config');
    expect(c.volumeMounts).toContainEqual({
      name: configVolume.name,
      mountPath: '/etc/jaeger',
      readOnly: true,
    });
    expect(c.ports).toEqual([
      { name: 'otlp-http', containerPort: config.jaeger.otlpPort },
      { name: 'query-http', containerPort: config.jaeger.queryPort },
      { name: 'query-grpc', containerPort: config.jaeger.queryGrpcPort },
    ]);
    // One secret, its own (the inline htpasswd line names it), and nothing of fstore-config's.
    const secretRefs = (c.env ?? []).filter((x: Doc) => x.valueFrom?.secretKeyRef);
    expect(secretRefs).toEqual([
      {
        name: 'FSTORE_JAEGER_PASSWORD',
        valueFrom: { secretKeyRef: { name: SECRETS, key: 'FSTORE_JAEGER_PASSWORD' } },
      },
    ]);
    expect(JAEGER_INLINE_HTPASSWD).toBe('fstore:${env:FSTORE_JAEGER_PASSWORD}');
    expect(c.envFrom).toBeUndefined();
    // In memory: one pod, never two at once.
    expect([deployment.spec.replicas, deployment.spec.strategy.type]).toEqual([1, 'Recreate']);
  });

  it('every app sends its spans to that Jaeger, at the default sampling', () => {
    expect(config.tracing.endpoint).toBe(`http://jaeger:${config.jaeger.otlpPort}/v1/traces`);
    expect(configData.FSTORE_TRACING_SAMPLE_RATIO).toBe(
      SETTINGS.FSTORE_TRACING_SAMPLE_RATIO.default,
    );
    expect(configData.FSTORE_TRACING_SERVING_SAMPLE_RATIO).toBe(
      SETTINGS.FSTORE_TRACING_SERVING_SAMPLE_RATIO.default,
    );
    for (const d of appDeployments)
      expect([d.app, d.container.envFrom]).toEqual([
        d.app,
        [{ configMapRef: { name: CONFIG_MAP } }],
      ]);
  });

  it("only fstore's services reach Jaeger's OTLP receiver; its query APIs ask for the password (NetworkPolicy)", () => {
    const jaeger = named('Deployment', 'jaeger').spec.template.metadata.labels;
    const policies = ofKind('NetworkPolicy').filter((p) =>
      Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => jaeger[k] === v),
    );
    expect(policies.map((p) => p.spec.policyTypes)).toEqual([['Ingress']]);
    const rules: Doc[] = policies[0].spec.ingress;
    const ports = (rule: Doc) => (rule.ports ?? []).map((x: Doc) => x.port as number);
    const allowed = (port: number) =>
      rules
        .filter((rule) => !rule.ports || ports(rule).includes(port))
        .flatMap((rule) => (rule.from ?? [{ anyone: true }]) as Doc[])
        .map((f) => (f.anyone ? 'anyone' : f.podSelector?.matchLabels?.['app.kubernetes.io/name']));
    expect(allowed(config.jaeger.otlpPort).sort()).toEqual(
      appDeployments.map((d) => d.labels['app.kubernetes.io/name']).sort(),
    );
    // The query UI and APIs: anyone in the cluster, behind basic auth (jaeger-config).
    for (const port of [config.jaeger.queryPort, config.jaeger.queryGrpcPort])
      expect([port, allowed(port)]).toEqual([port, ['anyone']]);
    const auth = { authenticator: 'basicauth/query' };
    const parsed = loadAll(named('ConfigMap', 'jaeger-config').data['config.yaml'])[0] as Doc;
    expect([
      parsed.extensions.jaeger_query.http.auth,
      parsed.extensions.jaeger_query.grpc.auth,
    ]).toEqual([auth, auth]);
  });

  it('the Redis exporters log in as the user `metrics`, the PostgreSQL one as the pg_monitor role', () => {
    for (const name of ['redis-cluster', 'redis-queue']) {
      const exporter = named('StatefulSet', name).spec.template.spec.containers[1];
      const env = new Map<string, Doc>(exporter.env.map((x: Doc) => [x.name, x]));
      expect([name, env.get('REDIS_USER')?.value]).toEqual([name, 'metrics']);
      expect(exporter.args).toContain('--redis.addr=redis://127.0.0.1:6379');
    }
    const pg = named('StatefulSet', 'postgres').spec.template.spec.containers[1];
    const env = new Map<string, Doc>(pg.env.map((x: Doc) => [x.name, x]));
    expect(env.get('DATA_SOURCE_USER')?.valueFrom).toEqual({
      configMapKeyRef: { name: CONFIG_MAP, key: 'FSTORE_PG_MONITOR_USER' },
    });
    expect(env.get('DATA_SOURCE_URI')?.value).toBe(
      `127.0.0.1:${config.postgres.port}/$(FSTORE_PG_DATABASE)?sslmode=disable`,
    );
    expect(configData.FSTORE_PG_MONITOR_USER).toBe(config.postgresRoles.monitor.user);
    // The first-start script makes the role a member of pg_monitor, nothing more.
    const init: string = named('ConfigMap', 'postgres-init').data['10-roles.sh'];
    expect(init).toContain(`-v monitor_user="$FSTORE_PG_MONITOR_USER"`);
    const statements = init
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.includes(':"monitor_user"'));
    expect(statements).toEqual([
      `CREATE ROLE :"monitor_user" LOGIN PASSWORD :'monitor_password';`,
      `GRANT pg_monitor TO :"monitor_user";`,
    ]);
  });
});
