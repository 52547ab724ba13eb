import { feature, sum } from '@fstore/definitions';
import { product } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'units_sold_7d',
  entity: product,
  source: transactions,
  engine: 'stream',
  aggregation: sum('7d'),
  of: 'quantity',
  type: 'int',
  description: 'Units of the product sold in the last 7 days',
  owner: 'catalog-ml',
  tags: ['windows'],
});
