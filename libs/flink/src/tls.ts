import { existsSync, readFileSync } from 'fs';
import { FstoreConfig } from '@fstore/config';
import { ClientTls } from './http';

/**
 * The client side of Flink's REST mutual TLS (security.ssl.rest.authentication-enabled): the
 * certificate the JobManager and the SQL Gateway must present and the client's own certificate and
 * key, read from the files FSTORE_FLINK_TLS_CA/CERT/KEY name. Undefined when neither URL is https
 * (a Flink reached over plain http, e.g. behind a NetworkPolicy in Kubernetes).
 */
export function flinkClientTls(config: Pick<FstoreConfig, 'flink'>): ClientTls | undefined {
  // Field by field (no password of the key stores: those are the Flink servers' own).
  const urls = [config.flink.restUrl, config.flink.gatewayUrl];
  if (!urls.some((u) => u.startsWith('https:'))) return undefined;
  const read = (setting: string, file: string) => {
    if (!existsSync(file)) {
      throw new Error(
        `${setting}=${file} does not exist: an https Flink needs it (the local stack generates it on \`fstore stack up flink\`)`,
      );
    }
    return readFileSync(file, 'utf8');
  };
  return {
    ca: read('FSTORE_FLINK_TLS_CA', config.flink.tls.caFile),
    cert: read('FSTORE_FLINK_TLS_CERT', config.flink.tls.certFile),
    key: read('FSTORE_FLINK_TLS_KEY', config.flink.tls.keyFile),
  };
}
