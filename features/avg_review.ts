import { feature, lastK } from '@fstore/definitions';
import { product } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'avg_review',
  entity: product,
  source: transactions,
  engine: 'stream',
  aggregation: lastK(5, 'avg'),
  of: 'review_rating',
  filter: 'review_rating IS NOT NULL',
  type: 'double',
  description: 'Mean rating of the 5 latest rated events of the product',
  owner: 'catalog-ml',
  tags: ['reviews', 'seed'],
  legacy: {
    path: '/api/v1/stream/review-rating-average',
    responseField: 'avg_rating',
    notFoundCode: 2003,
  },
});
