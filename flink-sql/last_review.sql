-- last_review:{customer_id}_{product_id} — rating of the latest rated event of that customer
-- for that product.
--
-- "Latest" is by event time: the greatest (transaction_date, event_id), ties broken by event_id
-- in byte order. A redelivered event_id counts once. The result depends only on the set of
-- events seen, never on their arrival order, so no watermark is needed: nothing here waits for
-- time to pass, every event updates the feature at once.
--
-- Delivery: at-least-once into an upsert-kafka changelog keyed by (customer_id, product_id). A transactional
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
  customer_id       STRING,
  product_id        STRING,
  review_rating     INT,
  transaction_date  TIMESTAMP(3),
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

-- The changelog the feature writer applies to Redis: one row per customer_id, product_id.
CREATE TABLE last_review_changelog (
  customer_id STRING,
  product_id  STRING,
  `value`     INT,
  event_time  TIMESTAMP(3),
  PRIMARY KEY (customer_id, product_id) NOT ENFORCED
) WITH (
  'connector'                    = 'upsert-kafka',
  'topic'                        = '${FEATURE_TOPIC}',
  'properties.bootstrap.servers' = '${KAFKA_BROKERS}',
  'properties.security.protocol' = 'SASL_PLAINTEXT',
  'properties.sasl.mechanism'    = 'SCRAM-SHA-512',
  'key.format'                   = 'json',
  'value.format'                 = 'json',
  'value.json.encode.decimal-as-plain-number' = 'true',
  'sink.delivery-guarantee'      = 'at-least-once'
);

-- Each event once: the first delivery of an event_id wins (redeliveries carry the same payload).
CREATE TEMPORARY VIEW unique_events AS
SELECT event_id, customer_id, product_id, review_rating, transaction_date
FROM (
  SELECT *,
         ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY arrival ASC) AS delivery
  FROM transactions
)
WHERE delivery = 1 AND review_rating IS NOT NULL;

-- The pair's latest rated event by (transaction_date, event_id), and its rating.
INSERT INTO last_review_changelog
SELECT customer_id,
       product_id,
       review_rating    AS `value`,
       transaction_date AS event_time
FROM (
  SELECT *,
         ROW_NUMBER() OVER (PARTITION BY customer_id, product_id
                            ORDER BY transaction_date DESC, event_id DESC) AS recency
  FROM unique_events
)
WHERE recency = 1;
