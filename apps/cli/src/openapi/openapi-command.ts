import { readFileSync } from 'fs';
import {
  API_NAMES,
  committedDocument,
  lintDocument,
  staleFiles,
  validateDocument,
  writeGeneratedFiles,
} from './api-documents';

/**
 * `fstore openapi`: writes docs/openapi/*.json and the client's types from the apps;
 * `--check`: changes nothing, and fails (exit 1) when a file is stale or a committed document is
 * not valid OpenAPI 3.1 or breaks the project's rules (CI runs it in `fstore test`).
 */
export async function openapiCommand(
  opts: { check?: boolean; validate?: string },
  log: (m: string) => void,
) {
  if (opts.validate) {
    const doc = JSON.parse(readFileSync(opts.validate, 'utf8')) as Record<string, unknown>;
    const problems = [...(await validateDocument(doc)), ...lintDocument(doc)];
    for (const p of problems) log(`${opts.validate}: ${p}`);
    return problems.length ? 1 : 0;
  }
  if (!opts.check) {
    const changed = await writeGeneratedFiles();
    log(changed.length ? `wrote ${changed.join(', ')}` : 'every generated file is up to date');
    return 0;
  }
  let failed = false;
  for (const api of API_NAMES) {
    const doc = committedDocument(api);
    const problems = [...(await validateDocument(doc)), ...lintDocument(doc)];
    for (const p of problems) log(`docs/openapi/${api}.json: ${p}`);
    if (problems.length === 0)
      log(`docs/openapi/${api}.json: valid OpenAPI ${String(doc.openapi)}`);
    failed ||= problems.length > 0;
  }
  const stale = await staleFiles();
  for (const file of stale) log(`${file} differs from what the apps give: run fstore openapi`);
  return failed || stale.length > 0 ? 1 : 0;
}
