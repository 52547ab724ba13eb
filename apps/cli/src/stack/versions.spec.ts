import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { loadAll } from 'js-yaml';
import { PROJECT_ROOT } from '@fstore/config';
import { VERSIONS } from './versions';

/**
 * stack/versions.json is the one place a component version is set: the local stack reads it, and
 * here the Dockerfile, k8s/, requirements-dev.txt and the Airflow constraints are checked against
 * it, so that a version changed in one place and not the others fails.
 */
const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const dockerfile = read('Dockerfile');

interface K8sObject {
  kind: string;
  apiVersion: string;
  spec: { kafka: { version: string }; flinkVersion: string };
}

function k8sObjects(): K8sObject[] {
  const out: K8sObject[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml'))
        out.push(...(loadAll(readFileSync(p, 'utf8')) as K8sObject[]));
    }
  };
  walk(join(PROJECT_ROOT, 'k8s', 'base'));
  return out.filter(Boolean);
}

describe('component versions: stack/versions.json against the Dockerfile, k8s/ and the pins', () => {
  it('the Dockerfile builds the images from the same versions', () => {
    const v = VERSIONS;
    const from = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(from).toEqual(
      expect.arrayContaining([
        `flink:${v.flink}-java17`,
        `apache/spark:${v.sparkImage}-scala2.12-java17-python3-ubuntu`,
        `apache/airflow:${v.airflow}-python${v.python}`,
      ]),
    );
    expect(dockerfile).toContain(
      `flink-sql-connector-kafka/${v.flinkKafkaConnector}/flink-sql-connector-kafka-${v.flinkKafkaConnector}.jar`,
    );
    expect(dockerfile).toMatch(new RegExp(`^ARG LIVY_VERSION=${v.livy}$`, 'm'));
    expect(dockerfile).toMatch(new RegExp(`^ARG SPARK_KAFKA_VERSION=${v.sparkKafka}$`, 'm'));
    expect(dockerfile).toContain(`-Dartifact=org.postgresql:postgresql:${v.postgresJdbc} `);
    const pins = [...dockerfile.matchAll(/(apache-airflow[\w-]*|psycopg2-binary|asyncpg)==(\S+)/g)];
    expect(Object.fromEntries(pins.map((m) => [m[1], m[2]]))).toEqual({
      'apache-airflow': v.airflow,
      ...v.airflowPackages,
    });
  });

  it('k8s/ runs the same Kafka and Flink', () => {
    const objects = k8sObjects();
    const kafka = objects.filter((o) => o.kind === 'Kafka');
    expect(kafka.map((k) => [k.apiVersion, k.spec.kafka.version])).toEqual([
      [`kafka.strimzi.io/${VERSIONS.strimziKafkaApi}`, VERSIONS.kafka],
    ]);
    const flink = objects.filter((o) => o.kind === 'FlinkDeployment');
    const [major, minor] = VERSIONS.flink.split('.');
    expect(VERSIONS.flinkOperatorFlinkVersion).toBe(`v${major}_${minor}`);
    expect(flink.map((f) => f.spec.flinkVersion)).toEqual([VERSIONS.flinkOperatorFlinkVersion]);
    // The Strimzi the manifests are validated against (its CRDs) is the one k8s/README.md installs.
    const strimziLine = VERSIONS.strimzi.split('.').slice(0, 2).join('.');
    expect(read('k8s/README.md')).toContain(`**Strimzi** ${strimziLine} (\`strimzi\``);
  });

  it('the Python pins agree: pyspark, and Airflow with its packages in the constraints file', () => {
    expect(read('requirements-dev.txt')).toMatch(new RegExp(`^pyspark==${VERSIONS.spark}$`, 'm'));
    const constraints = read('stack/airflow/constraints.txt');
    const pinned = { 'apache-airflow': VERSIONS.airflow, ...VERSIONS.airflowPackages };
    for (const [name, version] of Object.entries(pinned)) {
      expect([name, constraints.match(new RegExp(`^${name}==(\\S+)$`, 'm'))?.[1]]).toEqual([
        name,
        version,
      ]);
    }
  });

  it('the k8s schemas kept in the repository are of the Kubernetes version validated against', () => {
    expect(readdirSync(join(PROJECT_ROOT, 'k8s', 'schemas'))).toContain(
      `kubernetes-${VERSIONS.kubernetes}`,
    );
  });
});
