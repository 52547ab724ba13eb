/**
 * Stand-ins the feature-read unit tests share (kept out of the build by tsconfig.build.json): a
 * store whose read is the test's own, a serving log that is off, and the serving limits.
 */
import { FstoreConfig } from '@fstore/config';
import { OnlineStore } from '@fstore/online-store';
import { ServingLog } from './serving-log';

/** An online store whose reads answer with `read`; writes nothing, always healthy. */
export function storeReading(read: OnlineStore['read']): OnlineStore {
  return {
    read,
    write: async () => ({ written: 0, skippedOlder: 0 }),
    writeAndWait: async () => ({ written: 0, skippedOlder: 0, acks: [] }),
    checkHealth: async () => undefined,
    close: async () => undefined,
  };
}

/** A serving log at rate 0 (off), as by default. */
export const servingLogOff = new ServingLog(
  0,
  () => {
    throw new Error('no sink at rate 0');
  },
  { logged: () => undefined, dropped: () => undefined },
);

export const servingConfig = {
  serving: { maxBatch: 10, streamMaxAgeSeconds: 3600, batchMaxAgeSeconds: 172800 },
} as FstoreConfig;
