import { execFileSync } from 'child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import {
  K8S_FLINK_TLS_FILES,
  K8S_FLINK_TLS_STORE_PASSWORD,
  k8sConfigData,
  writeK8sFlinkTls,
} from './flink-tls';

describe('fstore k8s flink-tls', () => {
  it("writes the Secret's files, 600, for fstore-config's Flink host names, stores opening with the k8s password", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fstore-k8s-tls-')), 'out');
    try {
      const written = writeK8sFlinkTls(dir, () => undefined);
      expect(written).toEqual(K8S_FLINK_TLS_FILES.map((f) => join(dir, f)));
      expect(readdirSync(dir).sort()).toEqual([...K8S_FLINK_TLS_FILES].sort());
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      for (const f of written) expect([f, statSync(f).mode & 0o777]).toEqual([f, 0o600]);
      const names = execFileSync(
        'openssl',
        ['x509', '-in', join(dir, 'rest.crt'), '-noout', '-ext', 'subjectAltName'],
        { encoding: 'utf8' },
      );
      const k8s = loadConfig({ ...k8sConfigData(), FSTORE_STACK_DIR: '/none' });
      for (const url of [k8s.flink.restUrl, k8s.flink.gatewayUrl])
        expect(names).toContain(`DNS:${new URL(url).hostname}`);
      const keytool = join(loadConfig().flink.javaHome, 'bin', 'keytool');
      for (const store of ['rest.keystore.p12', 'internal.truststore.p12']) {
        const list = execFileSync(
          keytool,
          ['-list', '-storetype', 'PKCS12', '-keystore', join(dir, store)],
          { encoding: 'utf8', env: { ...process.env }, input: `${K8S_FLINK_TLS_STORE_PASSWORD}\n` },
        );
        expect(list).toMatch(/Your keystore contains 1 entry/);
      }
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
