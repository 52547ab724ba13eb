import { feature, sum } from '@fstore/definitions';
import { category } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'revenue_1h',
  entity: category,
  source: transactions,
  engine: 'stream',
  aggregation: sum('1h'),
  of: 'amount',
  type: 'decimal',
  description: 'Revenue (price × quantity) of the category in the last hour',
  owner: 'catalog-ml',
  tags: ['windows'],
});
