import { aptInstall, commandExists } from './processes';
import { foldersToTraverse, grantTraverse, ServiceUser } from './service-user';

/**
 * Lets `account` enter (not list) every folder on the way to `paths` that its mode bits keep it
 * out of, with an ACL entry each (Debian's `acl` installed when missing), and logs what it granted.
 */
export async function letThrough(
  account: ServiceUser,
  paths: string[],
  log: (message: string) => void,
): Promise<void> {
  const dirs = foldersToTraverse(paths, account);
  if (dirs.length === 0) return;
  if (!commandExists('setfacl')) await aptInstall(['acl'], log);
  const granted = grantTraverse(dirs, account);
  if (granted.length > 0) {
    log(`the account ${account.name} may enter ${granted.join(', ')} (ACL, not list)`);
  }
}
