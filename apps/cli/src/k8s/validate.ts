import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { load, loadAll } from 'js-yaml';
import * as ts from 'typescript';
import { PROJECT_ROOT } from '@fstore/config';
import { commandExists, download, MAVEN_REPOSITORY, run, StackError } from '../stack/processes';
import { VERSIONS } from '../stack/versions';

/**
 * The production shape's check: the overlay rendered by kustomize, every object validated by
 * kubeconform against the Kubernetes API's JSON schemas kept in k8s/schemas/ (strict: unknown
 * fields fail). Both tools are built from the Go module proxy with `go install` into the cache.
 */
export const KUBERNETES_VERSION = VERSIONS.kubernetes;
/** PyPI package shipping the Kubernetes JSON schemas of many versions (kubernetes-validate). */
export const SCHEMA_PACKAGE = { name: 'kubernetes-validate', version: '1.37.0' };
export const TOOLS = {
  kubeconform: { module: 'github.com/yannh/kubeconform/cmd/kubeconform', version: 'v0.7.0' },
  // v5.8 needs Go 1.27; v5.7.1 builds with the Go of this machine.
  kustomize: { module: 'sigs.k8s.io/kustomize/kustomize/v5', version: 'v5.7.1' },
} as const;
export const SCHEMA_DIR = join(PROJECT_ROOT, 'k8s', 'schemas', `kubernetes-${KUBERNETES_VERSION}`);
/** Custom resources' schemas, converted from their operators' CRDs: `<group>/<kind>_<version>.json`. */
export const CRD_SCHEMA_DIR = join(PROJECT_ROOT, 'k8s', 'schemas', 'crds');

type CrdSource = { files: readonly string[]; apiVersions?: readonly string[] } & (
  | { registry: 'go'; module: string; version: string }
  | { registry: 'maven'; artifact: string; classifier?: string; version: string }
);

/**
 * Operators whose CRDs a registry serves, as YAML inside a released artifact:
 * - the Prometheus Operator's Go module (the Go module proxy) carries them in
 *   `example/prometheus-operator-crd/`;
 * - Strimzi's test jar `io.strimzi:api:<version>:tests` (Maven Central) carries the CRDs its build
 *   generates from the same model classes as the install files, in `crds/v1beta2/` (every served
 *   version, v1beta2 the storage one; the Kafka CRD without descriptions, as installed).
 * `apiVersions` keeps only the versions k8s/ is written in (the others would be unused files).
 */
export const CRD_SOURCES: readonly CrdSource[] = [
  {
    registry: 'go',
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.86.1',
    files: [
      'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml',
      'example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml',
      'example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml',
    ],
  },
  {
    registry: 'maven',
    artifact: 'io.strimzi:api',
    classifier: 'tests',
    version: VERSIONS.strimzi,
    files: [
      'crds/v1beta2/040-Crd-kafka.yaml',
      'crds/v1beta2/043-Crd-kafkatopic.yaml',
      'crds/v1beta2/044-Crd-kafkauser.yaml',
      'crds/v1beta2/045-Crd-kafkanodepool.yaml',
    ],
    apiVersions: [VERSIONS.strimziKafkaApi],
  },
];

const OVERLAY = join(PROJECT_ROOT, 'k8s', 'overlays', 'production');

/**
 * The Flink Kubernetes Operator's CRD is on no registry this project can use (its Maven
 * artifacts are not served; k8s/schemas/README.md has what was tried). npm's
 * `@kubernetes-models/flink` is generated from that CRD (operator release `operatorVersion`) and
 * ships its TypeScript types and compiled validators, not the schema: the FlinkDeployment's
 * schema is converted from those types (typeSchema), which keep the CRD's fields, types, enums and
 * required fields, not its patterns or bounds.
 */
export const TYPED_SOURCES = [
  {
    package: '@kubernetes-models/flink',
    version: '1.0.1',
    operator: 'Flink Kubernetes Operator',
    operatorVersion: '1.14.0',
    files: [
      {
        file: 'flink.apache.org/v1beta1/FlinkDeployment.d.ts',
        type: 'IFlinkDeployment',
        schema: 'flink.apache.org/flinkdeployment_v1beta1.json',
      },
    ],
  },
] as const;

/**
 * Custom resources with no schema here, which kubeconform skips (k8s/schemas/README.md): none
 * now. Every kind must have a schema (CRD_SOURCES, TYPED_SOURCES).
 */
export const KINDS_WITHOUT_SCHEMA: readonly string[] = [];

type Log = (m: string) => void;

function toolPath(cacheDir: string, name: keyof typeof TOOLS): string {
  return join(cacheDir, 'tools', `${name}-${TOOLS[name].version}`, name);
}

/**
 * Where the go command puts the module zips it downloads (GOMODCACHE/cache/download): their
 * growth is the size of a `go install` or `go mod download` so far (the lines of download()).
 */
export function goDownloadCache(env: NodeJS.ProcessEnv = process.env): string {
  return join(run('go', ['env', 'GOMODCACHE'], { env }).trim(), 'cache', 'download');
}

/** The zip of a module version in that cache (capital letters escaped as `!x`, as Go does). */
export function goModuleZip(cache: string, module: string, version: string): string {
  const escape = (s: string) => s.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
  return join(cache, escape(module), '@v', `${escape(version)}.zip`);
}

/** Builds a pinned tool with `go install` into the cache once (Go from Debian if missing). */
export async function ensureTool(
  cacheDir: string,
  name: keyof typeof TOOLS,
  log: Log,
): Promise<string> {
  const bin = toolPath(cacheDir, name);
  if (existsSync(bin)) return bin;
  if (!commandExists('go')) {
    throw new StackError('go is not installed (`apt-get install golang-go`, Go ≥ 1.24)');
  }
  const { module, version } = TOOLS[name];
  const env = { ...process.env, GOBIN: join(bin, '..'), GOFLAGS: '-mod=mod' };
  await download(
    {
      what: `${name} ${version} (go install ${module})`,
      size: '~30 MB of modules, a minute',
      log,
      into: [goDownloadCache(env)],
    },
    'go',
    ['install', `${module}@${version}`],
    { env },
  );
  return bin;
}

/** `kustomize build k8s/overlays/production`: the YAML stream `kubectl apply -k` would send. */
export function render(kustomize: string): string {
  return run(kustomize, ['build', OVERLAY], { maxBuffer: 64 * 1024 * 1024 });
}

/** The apiVersion/kind of every object of a YAML stream. */
export function kindsOf(yaml: string): string[] {
  return (loadAll(yaml) as { apiVersion: string; kind: string }[])
    .filter(Boolean)
    .map((d) => `${d.apiVersion}/${d.kind}`);
}

/** The schema file kubeconform looks for: `<kind>[-<group>]-<version>.json`, lowercased. */
export function schemaFileOf(apiVersionKind: string): string {
  const parts = apiVersionKind.split('/');
  const kind = parts.pop()!.toLowerCase();
  const version = parts.pop()!;
  const group = parts.length ? parts[0].split('.')[0].toLowerCase() : undefined;
  return `${kind}${group ? `-${group}` : ''}-${version.toLowerCase()}.json`;
}

/** Runs kubeconform (strict) over the rendered overlay; its exit code and report. */
export function validate(kubeconform: string, yaml: string): { ok: boolean; report: string } {
  const res = spawnSync(
    kubeconform,
    [
      '-strict',
      '-summary',
      '-output',
      'text',
      '-schema-location',
      join(SCHEMA_DIR, '{{.ResourceKind}}{{.KindSuffix}}.json'),
      '-schema-location',
      join(CRD_SCHEMA_DIR, '{{.Group}}', '{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'),
      ...(KINDS_WITHOUT_SCHEMA.length
        ? ['-skip', KINDS_WITHOUT_SCHEMA.map((k) => k.split('/').pop()).join(',')]
        : []),
    ],
    { input: yaml, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (res.error) throw new StackError(`kubeconform: ${res.error.message}`);
  return { ok: res.status === 0, report: `${res.stdout}${res.stderr}`.trim() };
}

/** `fstore k8s validate`: render, validate, report; false when anything is invalid. */
export async function validateProductionShape(cacheDir: string, log: Log): Promise<boolean> {
  const kustomize = await ensureTool(cacheDir, 'kustomize', log);
  const kubeconform = await ensureTool(cacheDir, 'kubeconform', log);
  const yaml = render(kustomize);
  log(`rendered k8s/overlays/production: ${kindsOf(yaml).length} objects`);
  const { ok, report } = validate(kubeconform, yaml);
  log(report);
  if (KINDS_WITHOUT_SCHEMA.length) {
    log(
      `skipped (no CRD schema from a registry, see k8s/schemas/README.md): ${KINDS_WITHOUT_SCHEMA.join(', ')}`,
    );
  }
  return ok;
}

/**
 * Rewrites one schema of kubernetes-validate for kubeconform: without its `$id` (an address on
 * kubernetes.io that nothing here can fetch), with references relative to the file, so the
 * definitions come from `_definitions.json` beside it.
 */
export function convertSchema(text: string): string {
  const schema = JSON.parse(text) as Record<string, unknown>;
  delete schema.$id;
  return (
    JSON.stringify(schema, null, 1).replaceAll('"/api/_definitions.json#', '"_definitions.json#') +
    '\n'
  );
}

/**
 * `fstore k8s schemas`: refreshes k8s/schemas/kubernetes-<version>/ from the pinned PyPI wheel:
 * the schemas (strict variant) of the kinds the rendered overlay uses, and the definitions.
 */
export async function updateSchemas(cacheDir: string, log: Log): Promise<string[]> {
  const kustomize = await ensureTool(cacheDir, 'kustomize', log);
  const wheelDir = join(cacheDir, 'pypi', `${SCHEMA_PACKAGE.name}-${SCHEMA_PACKAGE.version}`);
  mkdirSync(wheelDir, { recursive: true });
  if (!readdirSync(wheelDir).some((f) => f.endsWith('.whl'))) {
    // pip fetches into a temporary folder, then copies to -d at the end: that folder is made one
    // of ours (TMPDIR) so that its growth shows the size so far; pip removes it when done.
    const pipTmp = join(cacheDir, 'pypi', 'tmp');
    mkdirSync(pipTmp, { recursive: true });
    await download(
      {
        what: `${SCHEMA_PACKAGE.name} ${SCHEMA_PACKAGE.version} from PyPI`,
        size: '~23 MB',
        log,
        into: [pipTmp, wheelDir],
      },
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '-d',
        wheelDir,
        `${SCHEMA_PACKAGE.name}==${SCHEMA_PACKAGE.version}`,
      ],
      { env: { ...process.env, TMPDIR: pipTmp } },
    );
  }
  const wheel = join(
    wheelDir,
    readdirSync(wheelDir).find((f) => f.endsWith('.whl'))!,
  );
  const wanted = [
    '_definitions.json',
    ...new Set(
      kindsOf(render(kustomize))
        .filter((k) => !(KINDS_WITHOUT_SCHEMA as readonly string[]).includes(k))
        .filter((k) => !k.includes('.') || k.split('/')[0].endsWith('.k8s.io'))
        .map(schemaFileOf),
    ),
  ].sort();
  const prefix = `kubernetes_validate/kubernetes-json-schema/${KUBERNETES_VERSION}-local-strict/`;
  // Python's zipfile reads the wheel (no unzip needed); file names are passed as arguments.
  const script =
    'import sys, zipfile, json\n' +
    'z = zipfile.ZipFile(sys.argv[1])\n' +
    'print(json.dumps({n: z.read(sys.argv[2] + n).decode() for n in sys.argv[3:]}))\n';
  const files = JSON.parse(
    run('python3', ['-c', script, wheel, prefix, ...wanted], { maxBuffer: 64 * 1024 * 1024 }),
  ) as Record<string, string>;
  rmSync(SCHEMA_DIR, { recursive: true, force: true });
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(SCHEMA_DIR, name), convertSchema(text));
  }
  log(`wrote ${wanted.length} schemas into ${SCHEMA_DIR}`);
  return [
    ...wanted,
    ...(await updateCrdSchemas(cacheDir, log)),
    ...(await updateTypedSchemas(cacheDir, log)),
  ];
}

/**
 * A CRD version's openAPIV3Schema as a strict JSON schema for kubeconform (what its
 * openapi2jsonschema does in strict mode): an object with declared properties takes no others
 * unless the CRD preserves unknown fields; int-or-string fields take either.
 */
export function strictCrdSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictCrdSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = strictCrdSchema(v);
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.oneOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * The schema files of a CRD (YAML): `<group>/<kind>_<version>.json` → JSON text; only the
 * versions named in `apiVersions` when given.
 */
export function crdSchemas(crdYaml: string, apiVersions?: readonly string[]): Map<string, string> {
  const crd = load(crdYaml) as {
    spec: {
      group: string;
      names: { kind: string };
      versions: { name: string; schema: { openAPIV3Schema: unknown } }[];
    };
  };
  const out = new Map<string, string>();
  for (const v of crd.spec.versions) {
    if (apiVersions && !apiVersions.includes(v.name)) continue;
    const file = `${crd.spec.group}/${crd.spec.names.kind.toLowerCase()}_${v.name}.json`;
    out.set(file, JSON.stringify(strictCrdSchema(v.schema.openAPIV3Schema), null, 1) + '\n');
  }
  return out;
}

/** A Maven artifact's coordinates for `mvn dependency:copy`: group:artifact:version[:jar:classifier]. */
function mavenCoordinates(source: Extract<CrdSource, { registry: 'maven' }>): string {
  const gav = `${source.artifact}:${source.version}`;
  return source.classifier ? `${gav}:jar:${source.classifier}` : gav;
}

/** The CRD files of a source, read from its artifact: file name → YAML text. */
async function crdFilesOf(
  cacheDir: string,
  source: CrdSource,
  log: Log,
): Promise<Map<string, string>> {
  if (source.registry === 'go') {
    const ref = `${source.module}@${source.version}`;
    // The checksum database is not reachable here: skip it for this module only (the proxy's
    // zip is still checked against the go.sum line `go mod download` records).
    const env = { ...process.env, GONOSUMDB: source.module, GOFLAGS: '-mod=mod' };
    const cache = goDownloadCache(env);
    const args = ['mod', 'download', '-json', ref];
    // Fetched once (then the cache answers at once, with nothing to report).
    const out = existsSync(goModuleZip(cache, source.module, source.version))
      ? run('go', args, { env })
      : await download(
          { what: `${ref} from the Go module proxy`, size: '~4 MB', log, into: [cache] },
          'go',
          args,
          { env },
        );
    const info = JSON.parse(out) as {
      Dir?: string;
      Error?: string;
    };
    if (!info.Dir) throw new StackError(`go mod download ${ref}: ${info.Error ?? 'no folder'}`);
    return new Map(source.files.map((f) => [f, readFileSync(join(info.Dir!, f), 'utf8')]));
  }
  const coordinates = mavenCoordinates(source);
  const dir = join(cacheDir, 'maven', coordinates.replaceAll(':', '_'));
  const [, artifactId, version] = coordinates.split(':');
  const jar = join(
    dir,
    `${artifactId}-${version}${source.classifier ? `-${source.classifier}` : ''}.jar`,
  );
  if (!existsSync(jar)) {
    mkdirSync(dir, { recursive: true });
    const what = { what: `${coordinates} from Maven Central`, size: '~1 MB', log };
    await download({ ...what, into: [MAVEN_REPOSITORY] }, 'mvn', [
      '-q',
      '-B',
      'dependency:copy',
      `-Dartifact=${coordinates}`,
      `-DoutputDirectory=${dir}`,
    ]);
  }
  // Python's zipfile reads the jar (no unzip needed); file names are passed as arguments.
  const script =
    'import sys, zipfile, json\n' +
    'z = zipfile.ZipFile(sys.argv[1])\n' +
    'print(json.dumps({n: z.read(n).decode() for n in sys.argv[2:]}))\n';
  const files = JSON.parse(
    run('python3', ['-c', script, jar, ...source.files], { maxBuffer: 64 * 1024 * 1024 }),
  ) as Record<string, string>;
  return new Map(Object.entries(files));
}

/** `fstore k8s schemas`, custom resources: the pinned operators' CRDs from their registries. */
async function updateCrdSchemas(cacheDir: string, log: Log): Promise<string[]> {
  rmSync(CRD_SCHEMA_DIR, { recursive: true, force: true });
  const written: string[] = [];
  for (const source of CRD_SOURCES) {
    const ref =
      source.registry === 'go' ? `${source.module}@${source.version}` : mavenCoordinates(source);
    const fromSource: string[] = [];
    for (const text of (await crdFilesOf(cacheDir, source, log)).values()) {
      for (const [name, schema] of crdSchemas(text, source.apiVersions)) {
        mkdirSync(join(CRD_SCHEMA_DIR, name, '..'), { recursive: true });
        writeFileSync(join(CRD_SCHEMA_DIR, name), schema);
        fromSource.push(name);
      }
    }
    log(`CRD schemas of ${ref}: ${fromSource.join(', ')}`);
    written.push(...fromSource);
  }
  return written;
}

/**
 * A strict JSON schema from a TypeScript type of a `.d.ts` file generated from a CRD
 * (@kubernetes-models): object literals take only their properties (or what an index signature
 * allows), `?` marks the optional ones, string literal unions are enums, `number | string` is
 * int-or-string, `any` (a field preserving unknown fields) takes anything, and a named type from
 * elsewhere (ObjectMeta) is an object, as kubeconform's CRD schemas leave `metadata`.
 */
export function typeSchema(dts: string, typeName: string): unknown {
  const source = ts.createSourceFile('types.d.ts', dts, ts.ScriptTarget.Latest, true);
  const declaration = source.statements.find(
    (st): st is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(st) && st.name.text === typeName,
  );
  if (!declaration) throw new StackError(`typeSchema: no interface ${typeName}`);
  const objectOf = (members: ts.NodeArray<ts.TypeElement>): Record<string, unknown> => {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    let additionalProperties: unknown = false;
    for (const m of members) {
      if (ts.isPropertySignature(m) && m.type) {
        const name = ts.isStringLiteral(m.name) ? m.name.text : m.name.getText(source);
        properties[name] = of(m.type);
        if (!m.questionToken) required.push(name);
      } else if (ts.isIndexSignatureDeclaration(m)) {
        additionalProperties = of(m.type);
      } else {
        throw new StackError(`typeSchema: unexpected member ${m.getText(source)}`);
      }
    }
    return {
      type: 'object',
      ...(Object.keys(properties).length ? { properties } : {}),
      ...(required.length ? { required } : {}),
      additionalProperties,
    };
  };
  const of = (node: ts.TypeNode): unknown => {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return { type: 'number' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
        return {};
    }
    if (ts.isParenthesizedTypeNode(node)) return of(node.type);
    if (ts.isTypeLiteralNode(node)) return objectOf(node.members);
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: of(node.elementType) };
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) {
      return { type: 'string', enum: [node.literal.text] };
    }
    if (ts.isUnionTypeNode(node)) {
      const literals = node.types.filter(
        (t): t is ts.LiteralTypeNode => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal),
      );
      if (literals.length === node.types.length) {
        return { type: 'string', enum: literals.map((t) => (t.literal as ts.StringLiteral).text) };
      }
      return { oneOf: node.types.map(of) };
    }
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText(source);
      if (name === 'Array' && node.typeArguments?.length === 1) {
        return { type: 'array', items: of(node.typeArguments[0]) };
      }
      return { type: 'object' };
    }
    throw new StackError(`typeSchema: unexpected type ${node.getText(source)}`);
  };
  return objectOf(declaration.members);
}

/** `fstore k8s schemas`, custom resources without a CRD on a registry: from npm's types. */
async function updateTypedSchemas(cacheDir: string, log: Log): Promise<string[]> {
  const written: string[] = [];
  for (const source of TYPED_SOURCES) {
    const ref = `${source.package}@${source.version}`;
    const dir = join(cacheDir, 'npm', ref.replace('/', '+'));
    const tarball = join(dir, `${source.package.slice(1).replace('/', '-')}-${source.version}.tgz`);
    if (!existsSync(tarball)) {
      mkdirSync(dir, { recursive: true });
      // npm pack fetches the package's tarball only: no install, node_modules untouched.
      // npm's own cache is not walked (it holds every package the project installed): the
      // tarball's size is in the last line.
      await download({ what: `${ref} from npm`, size: '~200 kB', log, into: [dir] }, 'npm', [
        'pack',
        '--silent',
        '--pack-destination',
        dir,
        ref,
      ]);
    }
    for (const f of source.files) {
      const dts = run('tar', ['-xzOf', tarball, `package/${f.file}`], {
        maxBuffer: 64 * 1024 * 1024,
      });
      mkdirSync(join(CRD_SCHEMA_DIR, f.schema, '..'), { recursive: true });
      writeFileSync(
        join(CRD_SCHEMA_DIR, f.schema),
        JSON.stringify(typeSchema(dts, f.type), null, 1) + '\n',
      );
      written.push(f.schema);
    }
    log(
      `schemas from the types of ${ref} (Flink Kubernetes Operator ${source.operatorVersion}): ${written.join(', ')}`,
    );
  }
  return written;
}

/** The schema files kept in the repository. */
export function keptSchemas(): string[] {
  return existsSync(SCHEMA_DIR) ? readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')) : [];
}

/** The custom resources' schema files kept in the repository, as `<group>/<file>`. */
export function keptCrdSchemas(): string[] {
  if (!existsSync(CRD_SCHEMA_DIR)) return [];
  return readdirSync(CRD_SCHEMA_DIR).flatMap((group) =>
    readdirSync(join(CRD_SCHEMA_DIR, group)).map((f) => `${group}/${f}`),
  );
}

export function readSchema(name: string): unknown {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8'));
}
