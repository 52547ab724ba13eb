/**
 * A job's name (the control plane's jobs, deployments and runs): a lower-case letter, then up to
 * 62 lower-case letters, digits, `_` or `-`. The control plane refuses any other (400); the CLI
 * checks it before it contacts the control plane (a usage error, exit 2).
 */
export const JOB_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** JOB_NAME in words, for the messages that refuse a name. */
export const JOB_NAME_RULE = 'a lower-case letter, then lower-case letters, digits, _ or - (≤ 63)';
