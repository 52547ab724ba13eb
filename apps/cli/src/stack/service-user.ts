import { spawnSync } from 'child_process';
import {
  chownSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  statSync,
} from 'fs';
import { dirname, join } from 'path';

/**
 * The local stack's service user (issue 20, finding 2). `stack up` is run as root (it installs
 * Debian packages), but no long-running process of the stack needs root: when the invoker is
 * root, every stack process runs as this unprivileged system user (PostgreSQL as `postgres`, as
 * before), created by the stack when missing: a system account with a group of its own, no home,
 * no login shell and a locked password. A non-root invoker runs everything as itself, as before.
 * The supervisor stays with the invoker (root): it starts PostgreSQL as `postgres` and the others
 * as this user, and manages their files.
 */
export const SERVICE_USER = 'fstore';
/**
 * nginx's account, of its own: its worker parses every client's request, so it gets nothing of
 * the stack's (its configuration holds no secret; it writes only its pid file and temp files).
 */
export const NGINX_USER = 'fstore-nginx';

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

export function invokedAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function ids(name: string): ServiceUser | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

const cached = new Map<string, ServiceUser>();

/**
 * The account the stack's processes run as when the invoker is root (created when missing), or
 * undefined for a non-root invoker: everything runs as the invoker then. `name`: SERVICE_USER,
 * or NGINX_USER for nginx.
 */
export function serviceUser(name: string = SERVICE_USER): ServiceUser | undefined {
  if (!invokedAsRoot()) return undefined;
  const known = cached.get(name);
  if (known) return known;
  let user = ids(name);
  if (!user) {
    const res = spawnSync(
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        '--comment',
        'fstore local stack services',
        name,
      ],
      { encoding: 'utf8' },
    );
    user = ids(name);
    if (!user) {
      throw new Error(
        `could not create the stack's service user ${name}: ${(res.stderr || res.error?.message || '').trim()}`,
      );
    }
  }
  cached.set(name, user);
  return user;
}

/** A service user's HOME while it runs stack processes: a folder of the stack's, its own. */
export function serviceHome(stackRoot: string, name: string = SERVICE_USER): string {
  return join(stackRoot, 'home', name);
}

/**
 * What a spawn needs to run a command as the service user (uid, gid, HOME and USER in its
 * environment), or nothing for a non-root invoker. For the stack's processes and for the
 * short-lived commands that write where the processes write (the Airflow CLI in Airflow's home,
 * spark-submit in the warehouse): files they leave must belong to the service user.
 */
export function asServiceUser(
  stackRoot: string,
  env: NodeJS.ProcessEnv = process.env,
  name: string = SERVICE_USER,
): { uid?: number; gid?: number; env: NodeJS.ProcessEnv } {
  const user = serviceUser(name);
  if (!user) return { env };
  const home = serviceHome(stackRoot, name);
  // <stack>/home open to enter (each service user's own folder in it is not).
  mkdirSync(dirname(home), { recursive: true, mode: 0o755 });
  if (!existsSync(home)) mkdirSync(home, { mode: 0o700 });
  chownSync(home, user.uid, user.gid);
  return {
    uid: user.uid,
    gid: user.gid,
    env: { ...env, HOME: home, USER: user.name, LOGNAME: user.name },
  };
}

/**
 * Sets a file's or folder's owner and mode through a descriptor opened without following links:
 * a link someone swapped in meanwhile is left alone (the CLI runs as root). Whether it did.
 */
export function setOwnerAndMode(path: string, uid: number, gid: number, mode: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return false;
    throw e;
  }
  try {
    fchownSync(fd, uid, gid);
    fchmodSync(fd, mode);
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Hands a folder (everything in it) to the service user: the folders its processes write. */
export function ownByServiceUser(path: string, name: string = SERVICE_USER): void {
  const user = serviceUser(name);
  if (!user || !existsSync(path)) return;
  const res = spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, path], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`chown -R ${user.name} ${path}: ${res.stderr.trim()}`);
}

/**
 * Lets the service user read what the stack (root) writes and the processes only read (secrets.env,
 * Flink's key material, each process's generated configuration): owner root, group the service
 * user's, files 0640 and folders 0750, recursively unless `recursive` is false. The service user
 * can neither change these files nor put anything in these folders, so root never writes where
 * that user could have left a link. For a non-root invoker: owner only (0600, folders 0700).
 */
export function shareWithServiceUser(
  path: string,
  opts: { name?: string; recursive?: boolean } = {},
): void {
  if (!existsSync(path)) return;
  const user = serviceUser(opts.name);
  const visit = (p: string, depth: number) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    const dir = st.isDirectory();
    const mode = user ? (dir ? 0o750 : 0o640) : dir ? 0o700 : 0o600;
    if (!setOwnerAndMode(p, user ? 0 : st.uid, user ? user.gid : st.gid, mode)) return;
    if (dir && (opts.recursive ?? true)) {
      for (const name of readdirSync(p)) visit(join(p, name), depth + 1);
    }
  };
  visit(path, 0);
}

/**
 * A folder where both root's CLI (the configuration it generates) and a service user (what its
 * process makes at run time: Redis's nodes.conf, Airflow's logs, nginx's pid file) put files:
 * owner root, group the service user's, mode 1770. The sticky bit keeps root's files root's: the
 * service user can add files but not remove or replace those of root (which writes only new files
 * renamed into place, writeIfChanged). Every entry but `rootFiles` is handed to the service user.
 */
export function sharedWorkDir(dir: string, rootFiles: string[], name: string = SERVICE_USER): void {
  const user = serviceUser(name);
  if (!user || !existsSync(dir)) return;
  setOwnerAndMode(dir, 0, user.gid, 0o1770);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (rootFiles.includes(entry)) shareWithServiceUser(path, { name, recursive: false });
    else ownByServiceUser(path, name);
  }
}

/** Whether the service user can enter a folder through its mode bits (not counting ACLs). */
function traversable(dir: string, user: ServiceUser): boolean {
  const st = statSync(dir);
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * Folders on the way to `paths` that the service user cannot enter (e.g. /root, 0700, on the way
 * to the cache folder ~/.cache/fstore; a private stack in a mkdtemp folder): each needs an ACL
 * entry letting only that user through (`setfacl -m u:fstore:x`: enter, not list).
 */
export function foldersToTraverse(paths: string[], user: ServiceUser): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    if (!existsSync(p)) continue;
    let dir = realpathSync(p);
    if (!statSync(dir).isDirectory()) dir = dirname(dir);
    const chain: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      chain.push(d);
      if (dirname(d) === d) break;
    }
    for (const d of chain.reverse()) if (!traversable(d, user)) out.add(d);
  }
  return [...out];
}

/**
 * Adds the ACL entries of foldersToTraverse that are not there yet (setfacl, getfacl: Debian's
 * `acl`, installed by the caller); returns the folders it granted.
 */
export function grantTraverse(dirs: string[], user: ServiceUser): string[] {
  const entry = new RegExp(`^user:${user.name}:[r-][w-]x$`, 'm');
  const missing = dirs.filter(
    (dir) => !entry.test(spawnSync('getfacl', ['-cp', dir], { encoding: 'utf8' }).stdout ?? ''),
  );
  for (const dir of missing) {
    const res = spawnSync('setfacl', ['-m', `u:${user.name}:x`, dir], { encoding: 'utf8' });
    if (res.status !== 0) {
      throw new Error(`setfacl -m u:${user.name}:x ${dir}: ${(res.stderr || '').trim()}`);
    }
  }
  return missing;
}
