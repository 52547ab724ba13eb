// The build ahead (bin/build.js, `npm run build`, run once by `npm ci` and by `fstore up`/`stack
// up`): the JavaScript of every .ts file of the checkout, written to dist/build/ at the same
// relative path (apps/cli/src/main.ts → dist/build/apps/cli/src/main.js), so that a start loads it
// instead of loading TypeScript and transpiling.
//
// The module is still the .ts file to Node (bin/register.js compiles the built text under the
// source's name): __dirname, PROJECT_ROOT, the @fstore/* aliases, worker scripts and stack traces
// are what they are when running from source; the build only saves the transpile.
//
// Never old code: each output starts with `//fstore-build <key>`, the sha256 of everything it was
// made from (the salt: TypeScript's version, tsconfig.json, the options; the file's name and its
// content). At load the key is computed again from the source on disk; an output whose key
// differs (the source was edited, another branch checked out, TypeScript upgraded) is not used:
// the file is transpiled as without a build. Outputs are written to a temporary file and renamed
// into place, so a reader never sees half of one.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const MAGIC = '//fstore-build ';

/** What the build covers: the folders of tsconfig.json's program that run under Node. */
const BUILD_DIRS = ['apps', 'libs', 'features', 'bench', 'test'];
/** Not run by Node through bin/register.js: jest's tests (ts-jest) and the browser console. */
const SKIPPED = [/\.spec\.ts$/, /\.medium-spec\.ts$/, /\.d\.ts$/];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.stack', '.venv']);

/**
 * The build of `root` in `outDir` with `transpile(source, filename)` and its `salt`; `skipDirs`
 * are root-relative folders left out (apps/console: bundled for the browser by esbuild).
 */
function createBuild({ root, outDir, salt, transpile, skipDirs = ['apps/console'] }) {
  const keyOf = (source, filename) =>
    crypto
      .createHash('sha256')
      .update(`${salt}\0${path.basename(filename)}\0`)
      .update(source)
      .digest('hex');

  /** Where the output of `filename` lives, or undefined for a file outside root. */
  function outputOf(filename) {
    const rel = path.relative(root, filename);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return path.join(outDir, rel.replace(/\.ts$/, '.js'));
  }

  /** The built JavaScript of `filename` if it was made from `source` as it is now, else undefined. */
  function readBuilt(filename, source) {
    const out = outputOf(filename);
    if (!out) return undefined;
    let text;
    try {
      text = fs.readFileSync(out, 'utf8');
    } catch {
      return undefined;
    }
    const eol = text.indexOf('\n');
    if (eol < 0 || text.slice(0, eol) !== `${MAGIC}${keyOf(source, filename)}`) return undefined;
    return text.slice(eol + 1);
  }

  function sources() {
    const files = [];
    const skip = new Set(skipDirs.map((d) => path.join(root, d)));
    const walk = (dir) => {
      let entries;
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // a folder this checkout (or image stage) does not have
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (!SKIPPED_DIRS.has(e.name) && !skip.has(full)) walk(full);
        } else if (e.name.endsWith('.ts') && !SKIPPED.some((re) => re.test(e.name))) {
          files.push(full);
        }
      }
    };
    BUILD_DIRS.forEach((d) => walk(path.join(root, d)));
    return files.sort();
  }

  /**
   * Brings outDir up to date: transpiles each file whose output is missing or stale, removes the
   * outputs of files that are gone. Returns {files, written, removed}.
   */
  function build() {
    const files = sources();
    let written = 0;
    for (const file of files) {
      const source = fs.readFileSync(file, 'utf8');
      if (readBuilt(file, source) !== undefined) continue;
      const out = outputOf(file);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const tmp = `${out}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
      fs.writeFileSync(tmp, `${MAGIC}${keyOf(source, file)}\n${transpile(source, file)}`);
      fs.renameSync(tmp, out);
      written++;
    }
    const wanted = new Set(files.map(outputOf));
    let removed = 0;
    const prune = (dir) => {
      let entries;
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        // A .tmp file is another build's output being written (renamed into place in a moment).
        if (e.isDirectory()) prune(full);
        else if (!wanted.has(full) && !full.endsWith('.tmp')) {
          fs.rmSync(full, { force: true });
          removed++;
        }
      }
    };
    prune(outDir);
    return { files: files.length, written, removed };
  }

  return { build, readBuilt, outputOf, sources };
}

module.exports = { createBuild, MAGIC };
