import { load } from 'js-yaml';
import { loadConfig } from '@fstore/config';
import {
  JAEGER_BUILD_MODULE,
  JAEGER_INLINE_HTPASSWD,
  jaegerBinary,
  jaegerConfig,
  jaegerRelease,
} from './tracing';

interface Endpoint {
  endpoint: string;
  auth?: { authenticator: string };
}

interface JaegerConfig {
  service: {
    extensions: string[];
    pipelines: { traces: { receivers: string[]; exporters: string[] } };
    telemetry: { metrics: { level: string } };
  };
  extensions: {
    'basicauth/query': { htpasswd: { file?: string; inline?: string } };
    jaeger_storage: { backends: { memstore: { memory: { max_traces: number } } } };
    jaeger_query: {
      storage: { traces: string };
      enable_tracing: boolean;
      http: Endpoint;
      grpc: Endpoint;
    };
  };
  receivers: { otlp: { protocols: Record<string, Endpoint> } };
  exporters: { jaeger_storage_exporter: { trace_storage: string } };
}

describe('the local Jaeger', () => {
  const config = loadConfig({
    FSTORE_STACK_DIR: '/s',
    FSTORE_HOST: '127.0.0.1',
    FSTORE_JAEGER_MAX_TRACES: '500',
  });
  const parsed = load(jaegerConfig(config, { file: '/s/data/jaeger/htpasswd' })) as JaegerConfig;

  it('receives OTLP over HTTP only, on the stack host, into a bounded in-memory store', () => {
    expect(parsed.receivers.otlp.protocols).toEqual({ http: { endpoint: '127.0.0.1:4318' } });
    expect(parsed.service.pipelines.traces.receivers).toEqual(['otlp']);
    expect(parsed.service.pipelines.traces.exporters).toEqual(['jaeger_storage_exporter']);
    expect(parsed.exporters.jaeger_storage_exporter.trace_storage).toBe('memstore');
    expect(parsed.extensions.jaeger_storage.backends).toEqual({
      memstore: { memory: { max_traces: 500 } },
    });
  });

  it('serves its UI and query APIs on the stack host behind basic auth, and no metrics port', () => {
    const auth = { authenticator: 'basicauth/query' };
    expect(parsed.extensions.jaeger_query.http).toEqual({ endpoint: '127.0.0.1:16686', auth });
    expect(parsed.extensions.jaeger_query.grpc).toEqual({ endpoint: '127.0.0.1:16685', auth });
    expect(parsed.extensions['basicauth/query']).toEqual({
      htpasswd: { file: '/s/data/jaeger/htpasswd' },
    });
    expect(parsed.service.extensions).toEqual([
      'basicauth/query',
      'jaeger_storage',
      'jaeger_query',
    ]);
    expect(parsed.service.telemetry.metrics).toEqual({ level: 'none' });
    expect(parsed.extensions.jaeger_query.enable_tracing).toBe(false);
  });

  it('is built from a module of its own with the replace of Jaeger’s go.mod, one binary a version', () => {
    expect(JAEGER_BUILD_MODULE).toContain(
      'replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0',
    );
    expect(jaegerBinary('/c', 'v1.76.0')).toBe('/c/tools/jaeger-v1.76.0/jaeger');
  });

  it('in k8s, binds the pod (0.0.0.0) and takes the password inline from its environment', () => {
    const pod = loadConfig({ FSTORE_STACK_DIR: '/s', FSTORE_HOST: '0.0.0.0' });
    const k8s = load(jaegerConfig(pod, { inline: JAEGER_INLINE_HTPASSWD })) as JaegerConfig;
    expect(k8s.extensions['basicauth/query']).toEqual({
      htpasswd: { inline: 'fstore:${env:FSTORE_JAEGER_PASSWORD}' },
    });
    expect(k8s.receivers.otlp.protocols).toEqual({ http: { endpoint: '0.0.0.0:4318' } });
    expect(k8s.extensions.jaeger_query.http.endpoint).toBe('0.0.0.0:16686');
  });

  it("names the v2 release (the image's tag) of a Go module version, as Jaeger pairs them", () => {
    // Jaeger's CHANGELOG.md: "v1.63.0 / v2.0.0", "v1.76.0 / v2.13.0".
    expect(jaegerRelease('v1.63.0')).toBe('2.0.0');
    expect(jaegerRelease('v1.76.0')).toBe('2.13.0');
    expect(jaegerRelease('v1.76.1')).toBe('2.13.1');
    expect(() => jaegerRelease('v1.62.0')).toThrow('not a Jaeger v2 module version: v1.62.0');
    expect(() => jaegerRelease('2.13.0')).toThrow('not a Jaeger v2 module version');
  });
});
