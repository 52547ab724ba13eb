import { readdirSync, statSync } from 'fs';
import { join, relative, sep } from 'path';
import { buildRegistry, DefinitionError, LoadedModule, Registry } from './registry';

/** Every definition file under a folder: `*.ts`, not specs or declarations, sorted. */
export function definitionFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ts$/.test(name) && !/\.(spec|medium-spec|d)\.ts$/.test(name)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/**
 * Loads the definitions of a folder (normally `features/`): requires each file, then checks all
 * that they export. Files are TypeScript; the process must be able to require .ts (bin/register,
 * ts-jest). Throws DefinitionError naming file, feature and field.
 */
export function loadDefinitions(dir: string, projectRoot: string): Registry {
  return buildRegistry(loadDefinitionModules(dir, projectRoot));
}

/**
 * Requires each definition file of a folder, unchecked (buildRegistry checks them, also beside
 * modules made elsewhere, as tests do); a file that does not load is a DefinitionError.
 */
export function loadDefinitionModules(dir: string, projectRoot: string): LoadedModule[] {
  const modules: LoadedModule[] = [];
  const problems = [];
  for (const path of definitionFiles(dir)) {
    const file = relative(projectRoot, path).split(sep).join('/');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      modules.push({ file, exports: require(path) as Record<string, unknown> });
    } catch (e) {
      problems.push({ file, field: '(module)', message: `does not load: ${(e as Error).message}` });
    }
  }
  if (problems.length > 0) throw new DefinitionError(problems);
  return modules;
}
