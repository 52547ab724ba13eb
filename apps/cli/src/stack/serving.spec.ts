import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { nginxConf, nginxStatusUrl, nginxTempModules } from './serving';

describe("the serving tier's nginx.conf", () => {
  const config = loadConfig({
    FSTORE_STACK_DIR: '/s',
    FSTORE_HOST: '127.0.0.1',
    FSTORE_NGINX_STATUS_PORT: '8079',
  });
  const conf = nginxConf(config, '/s/data/nginx');

  it('serves stub_status on a loopback-only listener of its own, nothing else there', () => {
    expect(nginxStatusUrl(config)).toBe('http://127.0.0.1:8079/stub_status');
    const status = conf.slice(conf.indexOf('listen 127.0.0.1:8079;'));
    expect(status.split('\n').map((l) => l.trim())).toEqual([
      'listen 127.0.0.1:8079;',
      'allow 127.0.0.1;',
      'deny all;',
      'location = /stub_status {',
      'stub_status;',
      '}',
      'location / {',
      'return 404;',
      '}',
      '}',
      '}',
      '',
    ]);
    // stub_status appears in that server only, not behind the serving address.
    expect(conf.match(/stub_status;/g)).toHaveLength(1);
  });

  it('is accepted by the installed nginx (nginx -t)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fstore-nginx-'));
    try {
      const file = join(dir, 'nginx.conf');
      writeFileSync(file, nginxConf(config, dir, nginxTempModules()));
      const t = spawnSync('nginx', ['-t', '-q', '-e', 'stderr', '-p', dir, '-c', file], {
        encoding: 'utf8',
      });
      expect({ status: t.status, stderr: t.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
