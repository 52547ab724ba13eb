import { spawnSync } from 'child_process';
import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { loadConfig, secretsFile } from '@fstore/config';
import { readPidRecord, runningPid, StackPaths } from '../../apps/cli/src/stack/processes';
import { NGINX_USER, SERVICE_USER, serviceUser } from '../../apps/cli/src/stack/service-user';
import { SUPERVISOR } from '../../apps/cli/src/stack/supervisor';

// Issue 20, finding 2: no process of the stack runs as root. When root runs `stack up`, each
// process the stack started (its pid file in <stack>/run) and every process of its process group
// (Airflow's task processes, Livy's spark-submit, …) runs as the service user — PostgreSQL as
// `postgres`, nginx (master and worker) as an account of its own — and only the supervisor, the
// CLI's own loop, stays root. For a non-root invoker
// everything runs as the invoker, as before.
const config = loadConfig();
const paths = new StackPaths(config.stackDir);
const root = process.getuid?.() === 0;

/** Real, effective, saved and filesystem uid of a process (/proc/<pid>/status). */
function uids(pid: number): number[] {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /^Uid:\s+(.*)$/m.exec(status)![1].trim().split(/\s+/).map(Number);
}

/** The processes of a process group (each stack process leads one: spawnDaemon detaches it). */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // "pid (comm) state ppid pgrp …": comm may hold spaces, so count after the last ")".
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
      } catch {
        return false; // exited meanwhile
      }
    });
}

function idOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}

/** Every process the stack runs (a pid file and a live process), but the supervisor. */
function stackProcesses(): { name: string; pid: number }[] {
  return readdirSync(paths.run)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => f.slice(0, -'.pid'.length))
    .filter((name) => name !== SUPERVISOR && readPidRecord(paths, name) !== undefined)
    .map((name) => ({ name, pid: runningPid(paths, name)! }))
    .filter((p) => p.pid !== undefined);
}

/** A system account (useradd --system): no login shell, no home, a locked password. */
function expectSystemAccount(account: string): void {
  const passwd = spawnSync('getent', ['passwd', account], { encoding: 'utf8' });
  const [name, , uid, , , home, shell] = passwd.stdout.trim().split(':');
  expect({ name, home, shell }).toEqual({
    name: account,
    home: '/nonexistent',
    shell: '/usr/sbin/nologin',
  });
  // useradd --system: below the first regular uid (1000 on Debian).
  expect(Number(uid)).toBeLessThan(1000);
  expect(Number(uid)).toBeGreaterThan(0);
  const shadow = spawnSync('getent', ['shadow', account], { encoding: 'utf8' });
  // A locked password field ("!" or "*"): no password login.
  expect(shadow.stdout.split(':')[1]).toMatch(/^[!*]/);
}

describe('the stack processes run unprivileged', () => {
  it('each process and its process group run as the service user (postgres, nginx: their own)', () => {
    const processes = stackProcesses();
    // The whole stack is up: every component's processes are there.
    const names = processes.map((p) => p.name);
    for (const name of [
      'postgres',
      'redis-queue',
      'kafka',
      'jobmanager',
      'taskmanager',
      'sql-gateway',
      'feature-writer',
      'nginx',
      'nginx-exporter',
      'livy',
      'control-plane',
      'airflow-scheduler',
      'airflow-api-server',
      'prometheus',
      'jaeger',
    ]) {
      expect(names).toContain(name);
    }
    const service = root ? serviceUser()!.uid : process.getuid!();
    const own: Record<string, number> = root
      ? { postgres: idOf('postgres'), nginx: serviceUser(NGINX_USER)!.uid }
      : {};
    expect(new Set([service, ...Object.values(own)]).size).toBe(root ? 3 : 1);
    const seen = processes.flatMap(({ name, pid }) =>
      groupMembers(pid).map((member) => ({ name, member, uids: uids(member) })),
    );
    // Leaders and their children: at least one member a process (the leader itself).
    expect(seen.length).toBeGreaterThanOrEqual(processes.length);
    const want = seen.map(({ name, member }) => {
      const uid = own[name] ?? service;
      return { name, member, uids: [uid, uid, uid, uid] };
    });
    expect(seen).toEqual(want);
    if (root) expect(seen.filter((s) => s.uids.includes(0))).toEqual([]);
  });

  it('the supervisor stays the invoker: it starts the others as their users', () => {
    const pid = runningPid(paths, SUPERVISOR);
    expect(pid).toBeDefined();
    expect(uids(pid!)[1]).toBe(process.getuid!());
  });

  (root ? it : it.skip)(
    'the service users are system accounts without login, password or home of their own',
    () => {
      for (const account of [SERVICE_USER, NGINX_USER]) expectSystemAccount(account);
    },
  );

  (root ? it : it.skip)(
    'secrets, key material and configuration are root’s, readable by the service group',
    () => {
      const gid = serviceUser()!.gid;
      const tls = join(config.stackDir, 'tls', 'flink');
      const files = [
        secretsFile(config.stackDir),
        join(tls, 'rest.key'),
        join(tls, 'internal.key'),
      ];
      const got = [tls, ...files].map((f) => {
        const st = statSync(f);
        return { f, uid: st.uid, gid: st.gid, mode: (st.mode & 0o777).toString(8) };
      });
      expect(got).toEqual([
        { f: tls, uid: 0, gid, mode: '750' },
        ...files.map((f) => ({ f, uid: 0, gid, mode: '640' })),
      ]);
      // What the processes write is theirs; their configuration root's, the group theirs, 640;
      // the folders both write in, root's with the sticky bit (1770).
      const svc = serviceUser()!;
      const nginx = serviceUser(NGINX_USER)!;
      const stat = (path: string) => {
        const st = statSync(join(paths.root, 'data', path));
        return { path, uid: st.uid, gid: st.gid, mode: (st.mode & 0o7777).toString(8) };
      };
      const theirs = (path: string, user = svc) => ({ path, uid: user.uid, gid: user.gid });
      const rootFile = (path: string, mode = '640', user = svc) => ({
        path,
        uid: 0,
        gid: user.gid,
        mode,
      });
      const port = config.redis.clusterPorts[0];
      const layout = [
        rootFile('kafka', '750'),
        rootFile('kafka/server.properties'),
        theirs('kafka/logs'),
        rootFile(`redis/${port}`, '1770'),
        rootFile(`redis/${port}/redis.conf`),
        rootFile(`redis/${port}/users.acl`),
        theirs(`redis/${port}/nodes.conf`),
        rootFile('flink', '1770'),
        rootFile('flink/conf', '750'),
        rootFile('flink/conf/config.yaml'),
        theirs('flink/checkpoints'),
        rootFile('livy', '1770'),
        rootFile('livy/conf/auth-token'),
        theirs('livy/logs'),
        rootFile('spark/conf/spark-defaults.conf'),
        theirs('warehouse'),
        rootFile('airflow', '1770'),
        // Airflow opens it for writing.
        { ...theirs('airflow/simple_auth_manager_passwords.json'), mode: '600' },
        theirs('airflow/logs'),
        rootFile('prometheus/web.yml'),
        theirs('prometheus/data'),
        rootFile('nginx', '1770', nginx),
        rootFile('nginx/nginx.conf', '640', nginx),
        theirs('nginx/nginx.pid', nginx),
      ];
      // The mode of what the processes make is theirs to choose (their umask): not compared.
      const seen = layout.map((l) => {
        const st = stat(l.path);
        return 'mode' in l ? st : { path: st.path, uid: st.uid, gid: st.gid };
      });
      expect(seen).toEqual(layout);
    },
  );
});
