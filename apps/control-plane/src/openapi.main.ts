/**
 * Writes the control plane's OpenAPI document, as JSON, to the file named by its argument:
 * `fstore openapi` runs this as a program, since the CLI never imports another app (issue 22).
 */
import { writeFileSync } from 'fs';
import { generateControlPlaneDocument } from './openapi';

const [out] = process.argv.slice(2);
if (!out) {
  console.error('usage: openapi.main.ts <output file>');
  process.exit(2);
}
generateControlPlaneDocument().then(
  (doc) => {
    writeFileSync(out, JSON.stringify(doc));
    // Nothing was connected (preview mode), but a library's timer must not hold the process.
    process.exit(0);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
