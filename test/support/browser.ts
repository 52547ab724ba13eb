import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { Browser, chromium, Page } from 'playwright-core';
import { PROJECT_ROOT } from '@fstore/config';
import { aptInstall, commandExists } from '../../apps/cli/src/stack/processes';

/** Screenshots and other artifacts of the browser tests (git-ignored). */
export const ARTIFACTS = join(PROJECT_ROOT, 'test-output', 'console');

/** Debian's chromium (installed with apt-get when missing), driven by playwright-core. */
export async function launchChromium(log: (m: string) => void = () => undefined): Promise<Browser> {
  if (!commandExists('chromium')) await aptInstall(['chromium'], log);
  const path = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();
  // The tests run as root on the machine; Chromium's sandbox refuses root.
  return chromium.launch({ executablePath: path, args: ['--no-sandbox'] });
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is. axe is evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy does not govern (an inline script
 * would be refused, as it should be).
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: () => Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    return (await axe.run()).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
