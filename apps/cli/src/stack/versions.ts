import { readFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';

/**
 * The component versions, one file for the whole project (stack/versions.json): the local stack
 * installs these, and a unit test (versions.spec.ts) fails when the Dockerfile, k8s/,
 * requirements-dev.txt or stack/airflow/constraints.txt say otherwise.
 */
export interface Versions {
  kafka: string;
  flink: string;
  flinkKafkaConnector: string;
  spark: string;
  /** Spark's Kafka connector: Maven Central has the 3.5 line only up to 3.5.7. */
  sparkKafka: string;
  /** The apache/spark image the Livy image builds on (its tags lag the PyPI pyspark). */
  sparkImage: string;
  postgresJdbc: string;
  livy: string;
  python: string;
  airflow: string;
  /** Airflow's providers and drivers, pinned beside apache-airflow. */
  airflowPackages: Record<string, string>;
  kubernetes: string;
  /**
   * The Strimzi operator k8s/ is written for and validated against: its CRDs come from its
   * Maven artifact io.strimzi:api of this version (k8s/schemas/README.md). Its CRDs serve
   * kafka.strimzi.io/v1 and v1beta2 (strimziKafkaApi, what k8s/ is written in).
   */
  strimzi: string;
  strimziKafkaApi: string;
  flinkOperatorFlinkVersion: string;
  /**
   * The Prometheus exporters: the local stack runs Debian 12's packages
   * (prometheus-redis-exporter, prometheus-postgres-exporter), which are these upstream releases;
   * k8s/ runs the upstream images of the same releases (oliver006/redis_exporter:v…,
   * quay.io/prometheuscommunity/postgres-exporter:v…).
   */
  redisExporter: string;
  postgresExporter: string;
  /**
   * The Prometheus JMX exporter's Java agent the local Kafka broker runs
   * (io.prometheus.jmx:jmx_prometheus_javaagent from Maven Central: 1.1 to 1.5 are not served
   * here, 1.0.1 is). In k8s/, Strimzi brings its own.
   */
  jmxExporter: string;
  /**
   * The trace store: Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger), a Go module version
   * (v1.x), built from the Go module proxy for the local stack (apps/cli/src/stack/tracing.ts);
   * k8s/ runs the image jaegertracing/jaeger of the same release's v2 tag (jaegerRelease()).
   */
  jaeger: string;
}

export const VERSIONS_FILE = join(PROJECT_ROOT, 'stack', 'versions.json');
export const VERSIONS: Versions = JSON.parse(readFileSync(VERSIONS_FILE, 'utf8')) as Versions;
