/** Every error the Livy lib throws; callers map the subclasses to their own responses. */
export class LivyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Livy refused the request (400/500…): `livyMessage` is Livy's own `msg`, verbatim. */
export class LivyRequestError extends LivyError {
  constructor(
    readonly status: number,
    readonly livyMessage: string,
    readonly request: string,
  ) {
    super(`Livy answered ${status} to ${request}: ${livyMessage}`);
  }
}

/**
 * Livy does not know the batch: it never existed, it was killed (Livy forgets a batch on DELETE),
 * or it finished longer ago than Livy's retention period (livy.server.session.state-retain.sec).
 */
export class LivyBatchNotFoundError extends LivyError {
  constructor(
    readonly batchId: number,
    readonly livyMessage: string,
  ) {
    super(
      `Livy batch ${batchId} not found (never submitted, killed, or forgotten after Livy's retention period): ${livyMessage}`,
    );
  }
}

/** The request is invalid before it reaches Livy (e.g. a relative path): nothing was sent. */
export class LivyInvalidRequestError extends LivyError {}

/** Livy did not answer (refused, reset, 502/503/504, timeout) even after the retries. */
export class LivyUnavailableError extends LivyError {
  constructor(
    readonly endpoint: string,
    message: string,
  ) {
    super(`${endpoint}: ${message}`);
  }
}

/** Livy answered in a way this client does not understand (a bug or a version mismatch). */
export class LivyProtocolError extends LivyError {}

/** Waiting for a batch to finish took longer than allowed (the batch itself keeps running). */
export class LivyTimeoutError extends LivyError {
  constructor(
    readonly batchId: number,
    readonly lastState: string,
    timeoutMs: number,
  ) {
    super(`Livy batch ${batchId} still ${lastState} after ${timeoutMs / 1000}s`);
  }
}
