import { FEATURE_TOPIC_PREFIX, FEATURES, FLINK_GROUP_PREFIX } from '@fstore/contracts';
import {
  FlinkParameterError,
  FlinkPlaceholderError,
  FlinkScriptError,
  FlinkScriptPolicyError,
  parameterProblem,
  placeholdersOf,
} from '@fstore/flink';
import { InvalidField } from '@fstore/rest-api';
import { JobKind } from '@fstore/control-store';
import { InvalidParameter, ScriptRefused } from '../errors/domain-errors';
import { batchJobArgs } from '../runs/batch-args';

/**
 * The values the control plane gives a job's `${NAME}` placeholders, besides the configured ones
 * (KAFKA_BROKERS, TRANSACTIONS_TOPIC, …): FEATURE_TOPIC = features.<feature the file is named after>,
 * CONSUMER_GROUP = one group per job. The version's parameters override any of them (those that
 * their type lets a caller give: never KAFKA_BROKERS or a path).
 */
export function placeholderValues(
  jobName: string,
  source: string,
  parameters: Record<string, string>,
): Record<string, string> {
  // A job file of one feature, named after it (flink-sql/<feature>.sql), writes that feature's
  // changelog; a generated job of a source writes several, under ${FEATURE_TOPIC_PREFIX}.
  const feature = FEATURES.find((f) => `flink-sql/${f.name}.sql` === source);
  const values: Record<string, string> = { CONSUMER_GROUP: `${FLINK_GROUP_PREFIX}${jobName}` };
  if (feature) values.FEATURE_TOPIC = `${FEATURE_TOPIC_PREFIX}${feature.name}`;
  return { ...values, ...parameters };
}

/**
 * Checks a version before it is stored (400 naming the parameter or the source):
 * - flink-sql: each parameter is a placeholder the script uses outside comments, with a value of
 *   its type (@fstore/flink parameterProblem: topics and groups by grammar; brokers and paths
 *   from configuration only); the script renders and passes the job-script policy, and its topics
 *   and groups are ones the Flink user's Kafka ACLs grant (flink.check: FlinkJobs.prepare with
 *   FSTORE_FLINK_KAFKA_TOPICS/GROUPS), so a job Flink could not run is refused here;
 * - pyspark: the file has an argument declaration (runs/batch-args.ts); no parameters.
 */
export function checkVersion(
  flink: { check(script: string, values: Record<string, string>): void },
  v: {
    jobName: string;
    kind: JobKind;
    source: string;
    content: string;
    parameters: Record<string, string>;
  },
): void {
  const names = Object.keys(v.parameters);
  if (v.kind === 'pyspark') {
    if (!batchJobArgs(v.source)) {
      throw InvalidField(
        ['body', 'source'],
        `${v.source} has no argument declaration (apps/control-plane/src/runs/batch-args.ts)`,
      );
    }
    if (names.length > 0) {
      throw InvalidParameter(
        names.map((name) => ({
          name,
          reason: 'a PySpark job takes run arguments, not parameters',
        })),
      );
    }
    return;
  }
  const used = new Set(placeholdersOf(v.content));
  const problems = names
    .map((name) => ({
      name,
      reason:
        parameterProblem(name, v.parameters[name]) ??
        (used.has(name) ? undefined : `${v.source} has no placeholder \${${name}}`),
    }))
    .filter((p): p is { name: string; reason: string } => p.reason !== undefined);
  if (problems.length > 0) throw InvalidParameter(problems);
  try {
    flink.check(v.content, placeholderValues(v.jobName, v.source, v.parameters));
  } catch (e) {
    if (e instanceof FlinkParameterError) throw InvalidParameter(e.problems);
    if (e instanceof FlinkPlaceholderError) throw InvalidField(['body', 'parameters'], e.message);
    if (e instanceof FlinkScriptPolicyError) throw ScriptRefused(v.source, e.message);
    if (e instanceof FlinkScriptError) throw InvalidField(['body', 'source'], e.message);
    throw e;
  }
}
