// The transpile cache of bin/register.js: the JavaScript that TypeScript's transpileModule makes of
// a .ts file, kept on disk so that an unchanged file is never transpiled twice.
//
// An entry is named by the sha256 of everything the output depends on: the `salt` (TypeScript's
// version, the text of tsconfig.json, register.js's own options and this format's version), the
// file's base name (its inline source map names it) and its content. An edited file is a new key,
// so nothing is ever invalidated; an entry is written to a temporary file and renamed into place
// (a reader never sees half of one), and carries the sha256 of its body on its first line: an entry
// that does not match (truncated, corrupt) is ignored and written again.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const MAGIC = '//fstore-ts ';

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

/** The cached body of `file`, or undefined when it is missing or does not match its checksum. */
function readEntry(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const eol = text.indexOf('\n');
  if (!text.startsWith(MAGIC) || eol < 0) return undefined;
  const body = text.slice(eol + 1);
  return text.slice(MAGIC.length, eol) === sha256(body) ? body : undefined;
}

/** Writes an entry atomically; a cache that cannot be written (read-only, full) is only slower. */
function writeEntry(file, body) {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, `${MAGIC}${sha256(body)}\n${body}`);
    fs.renameSync(tmp, file);
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}

/**
 * `transpile(source, filename)` behind the cache in `dir` (undefined: no cache). The returned
 * function has `stats`: how many files it transpiled and how many it took from the cache.
 */
function createTranspileCache({ dir, salt, transpile }) {
  const stats = { transpiled: 0, cached: 0 };
  function cachedTranspile(source, filename) {
    if (!dir) {
      stats.transpiled++;
      return transpile(source, filename);
    }
    const key = crypto
      .createHash('sha256')
      .update(`${salt}\0${path.basename(filename)}\0`)
      .update(source)
      .digest('hex');
    const file = path.join(dir, key.slice(0, 2), `${key}.js`);
    const hit = readEntry(file);
    if (hit !== undefined) {
      stats.cached++;
      return hit;
    }
    stats.transpiled++;
    const output = transpile(source, filename);
    writeEntry(file, output);
    return output;
  }
  cachedTranspile.stats = stats;
  return cachedTranspile;
}

module.exports = { createTranspileCache };
