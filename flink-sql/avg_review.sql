-- avg_review:{product_id} — mean rating of the 5 latest rated events of the product.
--
-- "Latest" is by event time: the greatest (transaction_date, event_id), ties broken by event_id
-- in byte order. A redelivered event_id counts once. The result depends only on the set of
-- events seen, never on their arrival order, so no watermark is needed: nothing here waits for
-- time to pass, every event updates the feature at once.
--
-- Delivery: at-least-once into an upsert-kafka changelog keyed by product_id. A transactional
-- (exactly-once) sink would hold every update back until the next checkpoint; with a keyed
-- changelog a replayed update only rewrites the same value, and the writer applies updates by
-- event time, so the final state in Redis is exact either way.
--
-- Placeholders (filled from configuration before submission): ${KAFKA_BROKERS},
-- ${TRANSACTIONS_TOPIC}, ${FEATURE_TOPIC}, ${CONSUMER_GROUP}. The job's name and the checkpoint
-- interval come from whoever submits it (fstore pipeline, the control plane).

-- Raw events as the producer publishes them (libs/events); only the columns this job reads.
CREATE TABLE transactions (
  event_id          STRING,
  product_id        STRING,
  transaction_date  TIMESTAMP(3),
  review_rating     INT,
  arrival AS PROCTIME()
) WITH (
  'connector'                    = 'kafka',
  'topic'                        = '${TRANSACTIONS_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = 'SASL_PLAINTEXT',
  'properties.sasl.mechanism'    = 'SCRAM-SHA-512',
  'properties.group.id'          = '${CONSUMER_GROUP}',
  'scan.startup.mode'            = 'group-offsets',
  'properties.auto.offset.reset' = 'earliest',
  'format'                       = 'json',
  'json.ignore-parse-errors'     = 'false'
);

-- The changelog the feature writer applies to Redis: one row per product.
CREATE TABLE avg_review_changelog (
  product_id  STRING,
  `value`     DOUBLE,
  event_time  TIMESTAMP(3),
  PRIMARY KEY (product_id) NOT ENFORCED
) WITH (
  'connector'                    = 'upsert-kafka',
  'topic'                        = '${FEATURE_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = 'SASL_PLAINTEXT',
  'properties.sasl.mechanism'    = 'SCRAM-SHA-512',
  'key.format'                   = 'json',
  'value.format'                 = 'json',
  'sink.delivery-guarantee'      = 'at-least-once'
);

-- Each event once: the first delivery of an event_id wins (redeliveries carry the same payload).
CREATE TEMPORARY VIEW rated_events AS
SELECT event_id, product_id, transaction_date, review_rating
FROM (
  SELECT *,
         ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY arrival ASC) AS delivery
  FROM transactions
)
WHERE delivery = 1 AND review_rating IS NOT NULL;

-- The 5 latest rated events per product, by (transaction_date, event_id).
CREATE TEMPORARY VIEW latest_five AS
SELECT product_id, review_rating, transaction_date
FROM (
  SELECT *,
         ROW_NUMBER() OVER (PARTITION BY product_id
                            ORDER BY transaction_date DESC, event_id DESC) AS recency
  FROM rated_events
)
WHERE recency <= 5;

-- Their mean, stamped with the newest event time it includes.
INSERT INTO avg_review_changelog
SELECT product_id,
       AVG(CAST(review_rating AS DOUBLE)) AS `value`,
       MAX(transaction_date)              AS event_time
FROM latest_five
GROUP BY product_id;
