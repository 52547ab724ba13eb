import { loadAll } from 'js-yaml';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import {
  convertSchema,
  crdSchemas,
  KINDS_WITHOUT_SCHEMA,
  keptCrdSchemas,
  keptSchemas,
  readSchema,
  schemaFileOf,
} from './validate';

/** Every object of the k8s/ folder (the overlay renders these, plus its patches). */
function objects(): { apiVersion: string; kind: string }[] {
  const out: { apiVersion: string; kind: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'schemas') walk(p);
      else if (e.name.endsWith('.yaml') && e.name !== 'kustomization.yaml') {
        out.push(...(loadAll(readFileSync(p, 'utf8')) as { apiVersion: string; kind: string }[]));
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

  it('keeps a schema for every kind of the manifests but the documented custom resources', () => {
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
});
