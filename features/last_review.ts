import { feature, last } from '@fstore/definitions';
import { customerProduct } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'last_review',
  entity: customerProduct,
  source: transactions,
  engine: 'stream',
  aggregation: last(),
  of: 'review_rating',
  filter: 'review_rating IS NOT NULL',
  type: 'int',
  description: 'Rating of the latest rated event of that customer for that product',
  owner: 'customer-ml',
  tags: ['reviews', 'seed'],
  legacy: {
    path: '/api/v1/stream/customer-last-product-review-rating',
    responseField: 'rating',
    notFoundCode: 2005,
  },
});
