import { avg, feature } from '@fstore/definitions';
import { product } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'avg_review_rating',
  entity: product,
  source: transactions,
  engine: 'batch',
  aggregation: avg('30d'),
  of: 'review_rating',
  filter: 'review_rating IS NOT NULL',
  type: 'double',
  description: 'Mean rating of rated events in the 30 days up to the as-of time',
  owner: 'catalog-ml',
  tags: ['reviews', 'seed'],
  legacy: {
    path: '/api/v1/offline/average-product-review-rating',
    responseField: 'avg_rating',
    notFoundCode: 2007,
  },
});
