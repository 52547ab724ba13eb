import Ajv, { ValidateFunction } from 'ajv';
import { loadAll } from 'js-yaml';
import { spawnSync } from 'child_process';
import { existsSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import {
  convertSchema,
  CRD_SCHEMA_DIR,
  CRD_SOURCES,
  crdSchemas,
  goDownloadCache,
  goModuleZip,
  KINDS_WITHOUT_SCHEMA,
  keptCrdSchemas,
  keptSchemas,
  readSchema,
  schemaFileOf,
  TYPED_SOURCES,
  typeSchema,
} from './validate';
import { VERSIONS } from '../stack/versions';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any };

/** Every object of the k8s/ folder (the overlay renders these, plus its patches). */
function objects(): K8sObject[] {
  const out: K8sObject[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'schemas') walk(p);
      else if (e.name.endsWith('.yaml') && e.name !== 'kustomization.yaml') {
        out.push(...(loadAll(readFileSync(p, 'utf8')) as K8sObject[]));
      }
    }
  };
  walk(join(PROJECT_ROOT, 'k8s', 'base'));
  return out.filter((o) => o && o.kind);
}

describe('k8s validation (apps/cli/src/k8s/validate.ts)', () => {
  it("names schema files as kubeconform's template does", () => {
    expect(schemaFileOf('apps/v1/Deployment')).toBe('deployment-apps-v1.json');
    expect(schemaFileOf('v1/ConfigMap')).toBe('configmap-v1.json');
    expect(schemaFileOf('networking.k8s.io/v1/Ingress')).toBe('ingress-networking-v1.json');
    expect(schemaFileOf('autoscaling/v2/HorizontalPodAutoscaler')).toBe(
      'horizontalpodautoscaler-autoscaling-v2.json',
    );
  });

  it('converts a schema: no $id, references relative to the file', () => {
    const text = JSON.stringify({
      $id: 'https://kubernetes.io/api/service/v1',
      properties: { metadata: { $ref: '/api/_definitions.json#/$defs/ObjectMeta' } },
    });
    expect(JSON.parse(convertSchema(text))).toEqual({
      properties: { metadata: { $ref: '_definitions.json#/$defs/ObjectMeta' } },
    });
  });

  it('turns a CRD into strict schemas per version: no unknown fields, int-or-string either', () => {
    const crd = `
spec:
  group: example.io
  names: { kind: Widget }
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                port: { x-kubernetes-int-or-string: true, anyOf: [{ type: integer }, { type: string }] }
                labels: { type: object, additionalProperties: { type: string } }
                raw: { type: object, x-kubernetes-preserve-unknown-fields: true, properties: { a: { type: string } } }
`;
    const out = crdSchemas(crd);
    expect([...out.keys()]).toEqual(['example.io/widget_v1.json']);
    const schema = JSON.parse(out.get('example.io/widget_v1.json')!);
    expect(schema.additionalProperties).toBe(false);
    const spec = schema.properties.spec;
    expect(spec.additionalProperties).toBe(false);
    expect(spec.properties.port.oneOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
    expect(spec.properties.labels.additionalProperties).toEqual({ type: 'string' });
    expect(spec.properties.raw.additionalProperties).toBeUndefined();
  });

  it('turns a generated type into a strict schema: optional fields, enums, maps, int-or-string', () => {
    const dts = `
import { IObjectMeta } from "x";
export interface IWidget {
    "spec"?: {
        "mode"?: "a" | "b";
        "port"?: number | string;
        "labels"?: { [key: string]: string; };
        "raw"?: any;
        "items"?: Array<{ "name": string; }>;
    };
    "kind": "Widget";
    "metadata"?: IObjectMeta;
}`;
    expect(typeSchema(dts, 'IWidget')).toEqual({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            mode: { type: 'string', enum: ['a', 'b'] },
            port: { oneOf: [{ type: 'number' }, { type: 'string' }] },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            raw: {},
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: { name: { type: 'string' } },
                required: ['name'],
                additionalProperties: false,
              },
            },
          },
          additionalProperties: false,
        },
        kind: { type: 'string', enum: ['Widget'] },
        metadata: { type: 'object' },
      },
      required: ['kind'],
      additionalProperties: false,
    });
  });

  it('keeps a schema for every kind of the manifests (none skipped but KINDS_WITHOUT_SCHEMA)', () => {
    const kept = new Set(keptSchemas());
    const crds = new Set(keptCrdSchemas());
    const kinds = [...new Set(objects().map((o) => `${o.apiVersion}/${o.kind}`))];
    // A custom resource's file: <group>/<kind>_<version>.json (kubeconform's template).
    const crdFile = (k: string) => {
      const [group, version, kind] = k.split('/');
      return `${group}/${kind.toLowerCase()}_${version}.json`;
    };
    const missing = kinds
      .filter((k) => !(KINDS_WITHOUT_SCHEMA as readonly string[]).includes(k))
      .filter((k) => !kept.has(schemaFileOf(k)) && !crds.has(crdFile(k)));
    expect(missing).toEqual([]);
    expect(kept.has('_definitions.json')).toBe(true);
    // Converted: nothing points at kubernetes.io any more.
    for (const name of kept) {
      expect([name, JSON.stringify(readSchema(name)).includes('"/api/_definitions.json')]).toEqual([
        name,
        false,
      ]);
    }
  });

  describe("custom resources against their operators' kept CRD schemas", () => {
    // What kubeconform does with the kept file: a JSON schema validation (formats are not part
    // of these CRDs' checks).
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const compiled = new Map<string, ValidateFunction>();
    const validatorOf = (o: K8sObject): ValidateFunction => {
      const [group, version] = o.apiVersion.split('/');
      const file = join(CRD_SCHEMA_DIR, group, `${o.kind.toLowerCase()}_${version}.json`);
      if (!compiled.has(file)) {
        compiled.set(file, ajv.compile(JSON.parse(readFileSync(file, 'utf8'))));
      }
      return compiled.get(file)!;
    };
    const strimzi = () => objects().filter((o) => o.apiVersion.startsWith('kafka.strimzi.io/'));

    it("takes Strimzi's CRDs from its Maven artifact of the pinned version", () => {
      const source = CRD_SOURCES.find((s) => s.registry === 'maven');
      expect(source).toMatchObject({
        artifact: 'io.strimzi:api',
        classifier: 'tests',
        version: VERSIONS.strimzi,
        apiVersions: [VERSIONS.strimziKafkaApi],
      });
      expect(
        keptCrdSchemas()
          .filter((f) => f.startsWith('kafka.strimzi.io/'))
          .sort(),
      ).toEqual(
        ['kafka', 'kafkanodepool', 'kafkatopic', 'kafkauser'].map(
          (k) => `kafka.strimzi.io/${k}_${VERSIONS.strimziKafkaApi}.json`,
        ),
      );
    });

    it('validates every Strimzi object of k8s/', () => {
      const kinds = strimzi().map((o) => o.kind);
      expect([...new Set(kinds)].sort()).toEqual([
        'Kafka',
        'KafkaNodePool',
        'KafkaTopic',
        'KafkaUser',
      ]);
      for (const o of strimzi()) {
        const validate = validatorOf(o);
        expect([o.kind, o.metadata.name, validate(o), validate.errors ?? null]).toEqual([
          o.kind,
          o.metadata.name,
          true,
          null,
        ]);
      }
    });

    it('fails a misspelt field and a value the operator does not know', () => {
      const [kafka] = strimzi().filter((o) => o.kind === 'Kafka');
      const { listeners, ...rest } = kafka.spec.kafka;
      const misspelt = {
        ...kafka,
        spec: { ...kafka.spec, kafka: { ...rest, listners: listeners } },
      };
      const validate = validatorOf(kafka);
      expect(validate(misspelt)).toBe(false);
      expect(validate.errors).toContainEqual(
        expect.objectContaining({
          instancePath: '/spec/kafka',
          keyword: 'additionalProperties',
          params: { additionalProperty: 'listners' },
        }),
      );
      // Kafka's own name for a prefix pattern; Strimzi's KafkaUser takes `prefix`.
      const user = strimzi().find((o) => o.kind === 'KafkaUser' && o.spec.authorization)!;
      const acls = user.spec.authorization.acls.map((a: any) => ({
        ...a,
        resource: { ...a.resource, patternType: 'prefixed' },
      }));
      const validateUser = validatorOf(user);
      expect(
        validateUser({
          ...user,
          spec: { ...user.spec, authorization: { ...user.spec.authorization, acls } },
        }),
      ).toBe(false);
      expect(validateUser.errors).toContainEqual(
        expect.objectContaining({
          instancePath: '/spec/authorization/acls/0/resource/patternType',
          keyword: 'enum',
        }),
      );
    });

    it("validates the FlinkDeployment against the schema from the operator's generated types", () => {
      expect(TYPED_SOURCES.map((t) => [t.package, t.operatorVersion])).toEqual([
        ['@kubernetes-models/flink', '1.14.0'],
      ]);
      expect(keptCrdSchemas()).toContain('flink.apache.org/flinkdeployment_v1beta1.json');
      const [fd] = objects().filter((o) => o.kind === 'FlinkDeployment');
      const validate = validatorOf(fd);
      expect([validate(fd), validate.errors ?? null]).toEqual([true, null]);
      // A misspelt field, at the top of the spec and deep in the pod template.
      const { taskManager, ...rest } = fd.spec;
      expect(validate({ ...fd, spec: { ...rest, taskManger: taskManager } })).toBe(false);
      expect(validate.errors).toContainEqual(
        expect.objectContaining({
          instancePath: '/spec',
          keyword: 'additionalProperties',
          params: { additionalProperty: 'taskManger' },
        }),
      );
      const podSpec = { ...fd.spec.podTemplate.spec, securityContex: {} };
      const podTemplate = { ...fd.spec.podTemplate, spec: podSpec };
      expect(validate({ ...fd, spec: { ...fd.spec, podTemplate } })).toBe(false);
      expect(validate.errors).toContainEqual(
        expect.objectContaining({
          instancePath: '/spec/podTemplate/spec',
          params: { additionalProperty: 'securityContex' },
        }),
      );
      // A Flink version the operator does not know.
      expect(validate({ ...fd, spec: { ...fd.spec, flinkVersion: 'v2_9' } })).toBe(false);
    });
  });
});

describe("k8s schemas' downloads: the Go module cache they are measured in", () => {
  it('a module zip is named as Go names it (capital letters escaped)', () => {
    expect(goModuleZip('/c', 'github.com/Azure/go-autorest', 'v1.0.0-RC1')).toBe(
      '/c/github.com/!azure/go-autorest/@v/v1.0.0-!r!c1.zip',
    );
  });

  const go = spawnSync('go', ['version']).status === 0;
  (go ? it : it.skip)(
    "the zip of each Go source is where go's own download says (or absent when go has none)",
    () => {
      const cache = goDownloadCache();
      expect(cache).toMatch(/\/cache\/download$/);
      for (const source of CRD_SOURCES) {
        if (source.registry !== 'go') continue;
        // Offline: go answers from its cache only; never fetches in a unit test.
        const res = spawnSync(
          'go',
          ['mod', 'download', '-json', `${source.module}@${source.version}`],
          {
            cwd: tmpdir(),
            encoding: 'utf8',
            env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod' },
          },
        );
        // (with the proxy off, a cached module still names its .info file, beside the zip)
        const info = JSON.parse(res.stdout) as { Info?: string };
        const zip = goModuleZip(cache, source.module, source.version);
        if (info.Info) expect(info.Info).toBe(zip.replace(/\.zip$/, '.info'));
        else expect(existsSync(zip)).toBe(false);
      }
    },
  );
});
