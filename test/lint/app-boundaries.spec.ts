import { spawnSync } from 'child_process';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';

// ESLint's configuration (eslint.config.mjs) and the rule are ES modules, which jest's CommonJS
// runtime cannot load: the rule runs as `npx eslint` runs it, on a file given on standard input
// under the name it would have in the tree.
const ESLINT = join(PROJECT_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

interface Message {
  ruleId: string | null;
  line: number;
  message: string;
}

function lint(filename: string, code: string): Message[] {
  const run = spawnSync(
    process.execPath,
    [ESLINT, '--format', 'json', '--stdin', '--stdin-filename', filename],
    { cwd: PROJECT_ROOT, input: code, encoding: 'utf8' },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as { messages: Message[] }[];
  return result.messages.filter((m) => m.ruleId === 'fstore/no-cross-app-imports');
}

const lines = (messages: Message[]) => messages.map((m) => m.line);

describe('fstore/no-cross-app-imports (eslint-rules/app-boundaries.mjs)', () => {
  jest.setTimeout(60000);

  it('refuses an app importing another app, by relative path, alias, import() or require()', () => {
    const messages = lint(
      'apps/cli/src/stack/fixture.ts',
      [
        "export { produce } from '../../../producer/src/produce.command';",
        "export { createControlApiKey } from '@fstore/control-plane';",
        "export const doc = () => import('../../../feature-server/src/openapi');",
        "export const main = () => require('../../../producer/src/main');",
        "export * from '../../../control-plane/src/tokens';",
        // Allowed: a lib, the app's own files (even one named like another app), a package.
        "export { loadConfig } from '@fstore/config';",
        "export { produce as ingest } from '@fstore/ingest';",
        "export { ControlPlaneComponent } from './control-plane';",
        "export { formatTable } from '../format-table';",
        "export { Command } from 'commander';",
      ].join('\n'),
    );
    expect(lines(messages)).toEqual([1, 2, 3, 4, 5]);
    expect(messages[0].message).toBe(
      'apps/cli imports the app producer ("../../../producer/src/produce.command"): apps never ' +
        'import another app; move what they share into a lib (libs/, @fstore/<lib>).',
    );
    expect(messages[1].message).toContain('apps/cli imports the app control-plane');
  });

  it('lets an app import its own files from its tests', () => {
    const messages = lint(
      'apps/control-plane/test/fixture.ts',
      "export { CONFIG } from '../src/tokens';\nexport { createApp } from '../../feature-server/src/app';\n",
    );
    expect(lines(messages)).toEqual([2]);
  });

  it('refuses a lib importing any app', () => {
    const messages = lint(
      'libs/ingest/src/fixture.ts',
      "export { CONFIG } from '../../../apps/control-plane/src/tokens';\nexport { TOPICS } from '@fstore/contracts';\n",
    );
    expect(lines(messages)).toEqual([1]);
    expect(messages[0].message).toContain('A lib imports the app control-plane');
  });
});
