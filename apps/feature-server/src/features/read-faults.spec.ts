import { Logger, LoggerService } from '@nestjs/common';
import { OnlineStore } from '@fstore/online-store';
import { ErrorFilter } from '@fstore/rest-api';
import { usersUnavailable } from '../app.module';
import { FeaturesService } from './features.service';
import { servingConfig, servingLogOff, storeReading } from './features.fakes';

/**
 * What a feature read answers when the online store's read throws: the store not answering is
 * a 503 the client may retry; a fault of ours is a 500 with a correlation id, the same one as
 * the log line's. The store is a stand-in that throws: a bug cannot be produced with the real one.
 */
function storeThrowing(error: unknown): OnlineStore {
  return storeReading(async () => {
    throw error;
  });
}

/** The logger's error lines, as the ErrorFilter writes them. */
const logged: unknown[] = [];
const capture: LoggerService = {
  log: () => undefined,
  warn: () => undefined,
  error: (message: unknown) => void logged.push(message),
};
beforeAll(() => Logger.overrideLogger(capture));
beforeEach(() => (logged.length = 0));

/** The status and body the feature server answers a read of `store` with. */
async function answerOfRead(
  store: OnlineStore,
  read: (s: FeaturesService) => Promise<unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const failure = await read(new FeaturesService(servingConfig, store, servingLogOff)).then(
    () => {
      throw new Error('the read succeeded');
    },
    (e: unknown) => e,
  );
  const { status, body } = new ErrorFilter(usersUnavailable).answer(failure);
  return { status, body: { ...body } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('a feature read whose store fails', () => {
  const reads = {
    entity: (s: FeaturesService) => s.entity('product', 'p1'),
    batch: (s: FeaturesService) => s.batch('product', ['p1', 'p2']),
    legacy: (s: FeaturesService) => s.legacy('units_sold', ['p1']),
  };

  it.each(Object.entries(reads))(
    '%s: the store not answering (refused, timed out) is 503, error_code 1400',
    async (_, read) => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7001'), {
        code: 'ECONNREFUSED',
      });
      expect(await answerOfRead(storeThrowing(refused), read)).toEqual({
        status: 503,
        body: {
          error_code: 1400,
          error_message: 'Feature store unavailable: connect ECONNREFUSED 127.0.0.1:7001',
          error_detail: null,
        },
      });
      const timedOut = await answerOfRead(storeThrowing(new Error('Command timed out')), read);
      expect([timedOut.status, timedOut.body.error_code]).toEqual([503, 1400]);
    },
  );

  it.each(Object.entries(reads))(
    '%s: a bug is 500, error_code 1999, with the correlation id of its log line',
    async (_, read) => {
      const bug = new TypeError("Cannot read properties of undefined (reading 'value')");
      const { status, body } = await answerOfRead(storeThrowing(bug), read);
      expect({ status, body }).toEqual({
        status: 500,
        body: {
          error_code: 1999,
          error_message: 'Unhandled error',
          error_detail: null,
          correlation_id: expect.stringMatching(UUID),
        },
      });
      expect(logged).toEqual([
        expect.objectContaining({
          code: 1999,
          correlation_id: body.correlation_id,
          cause: "TypeError: Cannot read properties of undefined (reading 'value')",
          stack: bug.stack,
        }),
      ]);
    },
  );

  it('two faults get two correlation ids', async () => {
    const bug = () => storeThrowing(new RangeError('unknown feature: nope'));
    const first = await answerOfRead(bug(), reads.entity);
    const second = await answerOfRead(bug(), reads.entity);
    expect(first.body.correlation_id).not.toEqual(second.body.correlation_id);
  });
});
