import { createHash } from 'crypto';
import { redisAclFile, redisClusterAclRules, redisQueueAclRules } from './redis-acl';

const features = [
  { name: 'avg_review', engine: 'stream' as const },
  { name: 'units_sold', engine: 'batch' as const },
];

describe('Redis ACL rules', () => {
  const rules = redisClusterAclRules(features);

  it('lets the readers read every feature key, read-only, and run no write or admin command', () => {
    for (const user of ['feature-server', 'control-plane'] as const) {
      expect(rules[user]).toEqual(expect.arrayContaining(['%R~avg_review:*', '%R~units_sold:*']));
      expect(rules[user]).toEqual(expect.arrayContaining(['+get', '+mget', '+hgetall', '+eval']));
      expect(rules[user].filter((r) => r.startsWith('~'))).toEqual([]);
      for (const denied of [
        '+set',
        '+del',
        '+hset',
        '+setrange',
        '+script|load',
        '+flushall',
        '+@all',
        '+keys',
      ]) {
        expect(rules[user]).not.toContain(denied);
      }
    }
  });

  it('lets the writer write the stream features only, the batch job the batch features only', () => {
    expect(rules['feature-writer'].filter((r) => r.includes('~'))).toEqual(['~avg_review:*']);
    expect(rules['batch-features'].filter((r) => r.includes('~'))).toEqual(['~units_sold:*']);
    for (const user of ['feature-writer', 'batch-features'] as const) {
      expect(rules[user]).toEqual(
        expect.arrayContaining(['+set', '+del', '+evalsha', '+script|load', '+hset', '+pexpireat']),
      );
      // Time windows: WRITE_TILE's reads and writes of one record of the window's string.
      expect(rules[user]).toEqual(expect.arrayContaining(['+getrange', '+setrange']));
      expect(rules[user]).not.toContain('+@all');
      expect(rules[user]).not.toContain('+flushall');
    }
    expect(rules.replication).toEqual(['+psync', '+replconf', '+ping']);
    // The writer waits for replicas before it commits offsets; no other service needs WAIT.
    expect(rules['feature-writer']).toContain('+wait');
    expect(rules['batch-features']).not.toContain('+wait');
  });

  it('lets the exporter read server statistics only: no key, no CONFIG, no write', () => {
    expect(rules.metrics).toEqual([
      '+ping',
      '+info',
      '+cluster|info',
      '+slowlog|get',
      '+slowlog|len',
      '+latency|latest',
      '+client|setname',
    ]);
    expect(rules.metrics.filter((r) => r.includes('~') || r.includes('@'))).toEqual([]);
  });

  it("keeps the control plane's queue user to BullMQ's keys, without dangerous commands", () => {
    expect(redisQueueAclRules()['control-plane']).toEqual([
      '~bull:*',
      '+@all',
      '-@dangerous',
      '-@admin',
      '+info',
      '+client|setname',
      '+client|getname',
      '+client|id',
    ]);
  });

  it("gives the queue's exporter user server statistics only, no key, no CLUSTER INFO", () => {
    expect(redisQueueAclRules().metrics).toEqual([
      '+ping',
      '+info',
      '+slowlog|get',
      '+slowlog|len',
      '+latency|latest',
      '+client|setname',
    ]);
  });

  it('writes users with hashed passwords, the default user off (its rights for AOF replay), a user without password off', () => {
    const text = redisAclFile(
      { 'feature-server': ['+get', '%R~a:*'], 'feature-writer': ['+set'] },
      { 'feature-server': 'secret-1' },
    );
    const hash = createHash('sha256').update('secret-1').digest('hex');
    expect(text.split('\n')).toEqual([
      'user default off resetpass resetkeys resetchannels ~* &* +@all',
      `user feature-server on #${hash} resetkeys resetchannels -@all +get %R~a:*`,
      'user feature-writer off resetkeys resetchannels -@all +set',
      '',
    ]);
    expect(text).not.toContain('secret-1');
  });
});
