import { chmodSync, chownSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { serviceUser } from '../../apps/cli/src/stack/service-user';

/**
 * A test's temporary folder for what it gives the stack's processes (input files for Livy's
 * batches, definitions, checkpoints and outputs of Spark runs): when root runs the tests the
 * stack's processes run as the service user, and a mkdtemp folder is root's alone (0700). Owner
 * root, group the service user's, mode 0770: the processes read the files the test writes (umask
 * 022) and write their own beside them; nobody else enters. A file that must stay secret (a
 * password file) is shared with shareWithServiceUser (0640). A non-root run: the mkdtemp folder
 * as it is.
 */
export function stackWorkDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const user = serviceUser();
  if (user) {
    chownSync(dir, 0, user.gid);
    chmodSync(dir, 0o770);
  }
  return dir;
}
