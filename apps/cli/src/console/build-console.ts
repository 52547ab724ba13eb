import { copyFileSync, mkdirSync, rmSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';

const SOURCE = join(PROJECT_ROOT, 'apps', 'console');
/** The control plane serves this folder under /console/ (apps/control-plane/src/console/static.ts). */
export const CONSOLE_OUT = join(PROJECT_ROOT, 'dist', 'console');

/**
 * Builds the web console (apps/console) with esbuild: one bundle (Preact and the generated
 * @fstore/client inside), its stylesheet and index.html. No inline script anywhere, so the
 * control plane's Content-Security-Policy can forbid them. Takes well under a second.
 */
export async function buildConsole(log: (m: string) => void, outDir = CONSOLE_OUT): Promise<void> {
  const esbuild = await import('esbuild');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(SOURCE, 'src', 'main.tsx')],
    outfile: join(outDir, 'app.js'),
    tsconfig: join(SOURCE, 'tsconfig.json'),
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'styles.css']) {
    copyFileSync(join(SOURCE, 'static', file), join(outDir, file));
  }
  log(`web console built into ${outDir}`);
}
