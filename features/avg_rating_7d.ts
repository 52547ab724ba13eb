import { avg, feature } from '@fstore/definitions';
import { product } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'avg_rating_7d',
  entity: product,
  source: transactions,
  engine: 'stream',
  aggregation: avg('7d'),
  of: 'review_rating',
  filter: 'review_rating IS NOT NULL',
  type: 'double',
  description: 'Mean rating of the rated events of the product in the last 7 days',
  owner: 'catalog-ml',
  tags: ['reviews', 'windows'],
});
