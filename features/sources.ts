/**
 * The raw events features are computed from: read as the Kafka topic by streaming jobs and as
 * the lake table by batch jobs (docs/design.md §2).
 */
import { source } from '@fstore/definitions';

export const transactions = source({
  name: 'transactions',
  description: 'E-commerce transactions, one event per purchase',
  topic: 'ecommerce.transactions',
  table: 'ecommerce.transactions',
  eventId: 'event_id',
  eventTime: 'transaction_date',
  columns: {
    event_id: 'string',
    customer_id: 'string',
    product_id: 'string',
    category: 'string',
    price: 'decimal(10,2)',
    quantity: 'int',
    transaction_date: 'timestamp',
    review_rating: 'int',
    review_text: 'string',
    customer_age: 'int',
    customer_gender: 'string',
    country: 'string',
    device_type: 'string',
    browsing_duration: 'int',
    previous_purchases: 'int',
  },
  derived: {
    amount: 'price * quantity',
  },
});
