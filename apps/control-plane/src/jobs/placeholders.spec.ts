import { placeholderValues } from './placeholders';

describe('placeholderValues', () => {
  it('fills the feature topic of the file and a per-job consumer group', () => {
    expect(placeholderValues('lpa', 'flink-sql/last_purchase_amount.sql', {})).toEqual({
      FEATURE_TOPIC: 'features.last_purchase_amount',
      CONSUMER_GROUP: 'fstore-job-lpa',
    });
  });

  it("lets the version's parameters override them", () => {
    expect(
      placeholderValues('t', 'flink-sql/avg_review.sql', {
        FEATURE_TOPIC: 'test.out',
        TRANSACTIONS_TOPIC: 'test.in',
      }),
    ).toEqual({
      FEATURE_TOPIC: 'test.out',
      TRANSACTIONS_TOPIC: 'test.in',
      CONSUMER_GROUP: 'fstore-job-t',
    });
  });
});
