/** Every error the Flink lib throws; callers map the subclasses to their own responses. */
export class FlinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The script cannot be split or rendered: nothing was sent to Flink. */
export class FlinkScriptError extends FlinkError {}

/** A `${NAME}` placeholder has no value (or is malformed): nothing was sent to Flink. */
export class FlinkPlaceholderError extends FlinkScriptError {
  constructor(
    message: string,
    readonly placeholders: string[],
  ) {
    super(message);
  }
}

/**
 * Values given for placeholders break their type (a topic that is not a topic name, a
 * configuration-only placeholder such as KAFKA_BROKERS given by a caller): nothing was sent.
 */
export class FlinkParameterError extends FlinkPlaceholderError {
  constructor(readonly problems: { name: string; reason: string }[]) {
    super(
      problems.map((p) => `placeholder \${${p.name}}: ${p.reason}`).join('; '),
      problems.map((p) => p.name),
    );
  }
}

/**
 * The script does something a job script may not (CTAS, ADD JAR, a SET key outside the allowlist,
 * a connector other than Kafka, …): nothing was sent. `line` is the statement's line.
 */
export class FlinkScriptPolicyError extends FlinkScriptError {
  constructor(
    readonly reason: string,
    readonly line?: number,
  ) {
    super(line !== undefined ? `line ${line}: ${reason}` : reason);
  }
}

/** Flink rejected or failed a statement (the user's SQL): `reason` is the root cause. */
export class FlinkSqlError extends FlinkError {
  constructor(
    readonly reason: string,
    readonly statement?: { sql: string; line?: number },
    readonly detail?: string,
  ) {
    const where = statement?.line !== undefined ? ` (statement at line ${statement.line})` : '';
    super(`${reason}${where}`);
  }
}

/** The SQL Gateway session is closed or expired; open a new one. */
export class FlinkSessionNotFoundError extends FlinkError {
  constructor(readonly sessionHandle: string) {
    super(`SQL Gateway session ${sessionHandle} does not exist (closed or expired)`);
  }
}

/** The job id is unknown to the JobManager. */
export class FlinkJobNotFoundError extends FlinkError {
  constructor(readonly jobId: string) {
    super(`Flink job ${jobId} not found`);
  }
}

/** An operation on a job failed (savepoint not taken, job failed while waiting, …). */
export class FlinkJobError extends FlinkError {
  constructor(
    readonly jobId: string,
    message: string,
  ) {
    super(`Flink job ${jobId}: ${message}`);
  }
}

/** Flink did not answer (refused, reset, 502/503/504, timeout) even after the retries. */
export class FlinkUnavailableError extends FlinkError {
  constructor(
    readonly endpoint: string,
    message: string,
  ) {
    super(`${endpoint}: ${message}`);
  }
}

/** Flink answered in a way this client does not understand (a bug or a version mismatch). */
export class FlinkProtocolError extends FlinkError {}

/** Waiting for an operation or a job state took longer than allowed. */
export class FlinkTimeoutError extends FlinkError {}
