import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  asServiceUser,
  foldersToTraverse,
  invokedAsRoot,
  serviceUser,
  sharedWorkDir,
  shareWithServiceUser,
} from './service-user';

describe("the stack's service user", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fstore-service-user-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the folders on the way that its mode bits keep it out of, and only those', () => {
    const open = join(dir, 'open');
    const closed = join(open, 'closed');
    const cache = join(closed, 'cache');
    mkdirSync(cache, { recursive: true });
    chmodSync(open, 0o755);
    chmodSync(closed, 0o700);
    chmodSync(cache, 0o755);
    // A user that owns none of them and is in none of their groups: others' bits count.
    const stranger = { name: 'nobody-here', uid: 123456, gid: 123456 };
    // mkdtemp's folder is 0700 too; / and the temp folder are open to everyone.
    expect(foldersToTraverse([cache, join(cache, 'missing')], stranger)).toEqual([dir, closed]);
    // Its own folders (owner bits: it owns mkdtemp's too) and one of its group's (group bits,
    // not mkdtemp's 0700) let it through.
    const st = statSync(closed);
    expect(foldersToTraverse([closed], { ...stranger, uid: st.uid })).toEqual([]);
    chmodSync(closed, 0o710);
    expect(foldersToTraverse([closed], { ...stranger, gid: st.gid })).toEqual([dir]);
  });

  it('shares a secret with the service group (root) or keeps it the owner’s (non-root)', () => {
    const secrets = join(dir, 'tls');
    mkdirSync(secrets);
    writeFileSync(join(secrets, 'key'), 'k', { mode: 0o600 });
    shareWithServiceUser(secrets);
    const got = [secrets, join(secrets, 'key')].map((p) => {
      const st = statSync(p);
      return { uid: st.uid, gid: st.gid, mode: (st.mode & 0o777).toString(8) };
    });
    if (invokedAsRoot()) {
      const gid = serviceUser()!.gid;
      expect(got).toEqual([
        { uid: 0, gid, mode: '750' },
        { uid: 0, gid, mode: '640' },
      ]);
    } else {
      expect(got.map((g) => g.mode)).toEqual(['700', '600']);
    }
  });

  (invokedAsRoot() ? it : it.skip)(
    'a shared folder: root’s files stay root’s (group readable), the rest is the user’s, 1770',
    () => {
      const user = serviceUser()!;
      writeFileSync(join(dir, 'redis.conf'), 'port 1', { mode: 0o600 });
      mkdirSync(join(dir, 'appendonlydir'));
      writeFileSync(join(dir, 'appendonlydir', 'a.aof'), '');
      writeFileSync(join(dir, 'nodes.conf'), '');
      sharedWorkDir(dir, ['redis.conf']);
      const got = ['', 'redis.conf', 'appendonlydir', 'appendonlydir/a.aof', 'nodes.conf'].map(
        (p) => {
          const st = statSync(join(dir, p));
          return { p, uid: st.uid, gid: st.gid, mode: (st.mode & 0o7777).toString(8) };
        },
      );
      expect(got).toEqual([
        { p: '', uid: 0, gid: user.gid, mode: '1770' },
        { p: 'redis.conf', uid: 0, gid: user.gid, mode: '640' },
        { p: 'appendonlydir', uid: user.uid, gid: user.gid, mode: got[2].mode },
        { p: 'appendonlydir/a.aof', uid: user.uid, gid: user.gid, mode: got[3].mode },
        { p: 'nodes.conf', uid: user.uid, gid: user.gid, mode: got[4].mode },
      ]);
    },
  );

  it('runs commands as the service user with a home of its own when root invokes', () => {
    const opts = asServiceUser(dir, { PATH: '/usr/bin', HOME: '/root' });
    if (invokedAsRoot()) {
      const user = serviceUser()!;
      expect(user.uid).not.toBe(0);
      expect(opts).toEqual({
        uid: user.uid,
        gid: user.gid,
        env: {
          PATH: '/usr/bin',
          HOME: join(dir, 'home', user.name),
          USER: user.name,
          LOGNAME: user.name,
        },
      });
      const home = statSync(join(dir, 'home', user.name));
      expect([home.uid, home.mode & 0o777]).toEqual([user.uid, 0o700]);
    } else {
      expect(opts).toEqual({ env: { PATH: '/usr/bin', HOME: '/root' } });
    }
  });
});
