import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { load } from 'js-yaml';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { ensureDir } from '../stack/processes';
import { ensureFlinkTls, flinkTlsDir, FlinkTls, flinkTlsStores } from '../stack/flink';

/**
 * Flink's REST and internal TLS in k8s/ (issue 20): the key material the local stack makes
 * (ensureFlinkTls), in the Secret `flink-tls`, mounted at K8S_FLINK_TLS_DIR into the Flink pods,
 * the SQL Gateway and the control plane (which gets only the REST certificate and key).
 */
export const K8S_FLINK_TLS_SECRET = 'flink-tls';
export const K8S_FLINK_TLS_DIR = '/opt/flink/tls';

/**
 * The key stores' password in k8s/. Not a secret there, by necessity: the Flink Kubernetes
 * Operator takes Flink's options from the FlinkDeployment alone (no Secret reference), and its own
 * REST client, which must present the client certificate, reads the stores with this password
 * from those options. What guards the keys is the Secret `flink-tls` (who may read it, and the
 * pods it is mounted into), as their files' mode does locally.
 */
export const K8S_FLINK_TLS_STORE_PASSWORD = 'fstore-flink-tls-stores';

/** The stores as the k8s pods see them. */
export function k8sFlinkTls(): FlinkTls {
  return flinkTlsStores(K8S_FLINK_TLS_DIR, K8S_FLINK_TLS_STORE_PASSWORD);
}

/** The Secret's files: both identities' stores, and the REST PEM pair the control plane presents. */
export const K8S_FLINK_TLS_FILES = [
  'rest.keystore.p12',
  'rest.truststore.p12',
  'internal.keystore.p12',
  'internal.truststore.p12',
  'rest.crt',
  'rest.key',
] as const;
/** Of those, what the control plane mounts (FSTORE_FLINK_TLS_CA/CERT/KEY of fstore-config). */
export const K8S_FLINK_TLS_CLIENT_FILES = ['rest.crt', 'rest.key'] as const;

/** fstore-config's settings (k8s/base/config/configmap.yaml), as the pods get them. */
export function k8sConfigData(): Record<string, string> {
  const file = join(PROJECT_ROOT, 'k8s', 'base', 'config', 'configmap.yaml');
  return (load(readFileSync(file, 'utf8')) as { data: Record<string, string> }).data;
}

/**
 * Writes the Secret's files into `outDir` (the folder 700, the files 600): ensureFlinkTls of the local stack, run with
 * fstore-config's settings, so the REST certificate names the Services the clients connect to
 * (FSTORE_FLINK_REST_URL, FSTORE_FLINK_GATEWAY_URL). openssl and the local Flink's keytool make
 * them. Returns the files written.
 */
export function writeK8sFlinkTls(outDir: string, log: (line: string) => void): string[] {
  const local = loadConfig();
  const work = mkdtempSync(join(tmpdir(), 'fstore-flink-tls-'));
  try {
    const config = loadConfig({
      ...k8sConfigData(),
      FSTORE_STACK_DIR: work,
      FSTORE_FLINK_TLS_STORE_PASSWORD: K8S_FLINK_TLS_STORE_PASSWORD,
      FSTORE_FLINK_JAVA_HOME: local.flink.javaHome,
    });
    ensureFlinkTls({ config, log });
    const from = flinkTlsDir({ config });
    chmodSync(ensureDir(outDir), 0o700);
    return K8S_FLINK_TLS_FILES.map((name) => {
      const target = join(outDir, name);
      copyFileSync(join(from, name), target);
      chmodSync(target, 0o600);
      return target;
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
