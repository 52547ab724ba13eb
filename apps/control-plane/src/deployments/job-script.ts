import { splitStatements } from '@fstore/flink';

/**
 * The control plane names every job it submits (pipeline.name) so that it can find a job it
 * submitted before a crash; a script's own `SET 'pipeline.name'` would hide that name, so it is
 * dropped. Everything else is submitted as written.
 */
export function withoutPipelineName(script: string): string {
  return splitStatements(script)
    .filter((s) => !(s.kind === 'set' && /^\s*SET\s+'pipeline\.name'/im.test(s.sql)))
    .map((s) => s.sql + ';')
    .join('\n');
}

/** The pipeline name of the job one operation submits: unique, and found again after a crash. */
export function pipelineName(jobName: string, operationId: string): string {
  return `fstore/${jobName}/${operationId}`;
}
