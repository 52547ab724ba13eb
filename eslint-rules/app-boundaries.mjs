// @ts-check
/**
 * apps/ depend on libs/, never on each other (issue 22): a file under apps/<a>/ may not import
 * apps/<b>/ (any relative path that lands there) nor @fstore/<b> for an app <b>; a file under
 * libs/ may not import any app. Shared code goes to a lib; an app another needs at run time is
 * run as a program (e.g. `fstore openapi` runs apps/<api>/src/openapi.main.ts).
 */
import { readdirSync } from 'fs';
import { dirname, relative, resolve, sep } from 'path';
import { fileURLToPath } from 'url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The deployables: every folder of apps/ (one source: the tree itself). */
const APPS = new Set(
  readdirSync(resolve(ROOT, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name),
);

/** `{kind: 'app', name}` / `{kind: 'lib'}` for a file of the repository, else undefined. */
function areaOf(file) {
  const [top, name] = relative(ROOT, file).split(sep);
  if (top === 'apps' && APPS.has(name)) return { kind: 'app', name };
  if (top === 'libs') return { kind: 'lib', name };
  return undefined;
}

/** The app an import names, through a relative path or an @fstore/<app> alias. */
function importedApp(filename, spec) {
  if (spec.startsWith('.')) {
    const area = areaOf(resolve(dirname(filename), spec));
    return area?.kind === 'app' ? area.name : undefined;
  }
  const alias = /^@fstore\/([^/]+)/.exec(spec);
  return alias && APPS.has(alias[1]) ? alias[1] : undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const noCrossAppImports = {
  meta: {
    type: 'problem',
    docs: { description: 'apps import libs, never another app; libs never import an app' },
    schema: [],
    messages: {
      crossApp:
        'apps/{{from}} imports the app {{to}} ("{{spec}}"): apps never import another app; move what they share into a lib (libs/, @fstore/<lib>).',
      libToApp:
        'A lib imports the app {{to}} ("{{spec}}"): libs never depend on apps; move the code into the lib.',
    },
  },
  create(context) {
    const from = areaOf(resolve(context.filename));
    if (!from) return {};
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const to = importedApp(resolve(context.filename), node.value);
      if (!to) return;
      if (from.kind === 'lib') {
        context.report({ node, messageId: 'libToApp', data: { to, spec: node.value } });
      } else if (to !== from.name) {
        context.report({
          node,
          messageId: 'crossApp',
          data: { from: from.name, to, spec: node.value },
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') {
          check(node.arguments[0]);
        }
      },
    };
  },
};

export default { rules: { 'no-cross-app-imports': noCrossAppImports } };
