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
