import { feature, sum } from '@fstore/definitions';
import { category } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'revenue_by_category',
  entity: category,
  source: transactions,
  engine: 'batch',
  aggregation: sum('30d'),
  of: 'amount',
  type: 'decimal',
  description: 'Sum of amount in the 30 days up to the as-of time',
  owner: 'catalog-ml',
  tags: ['revenue', 'seed'],
  legacy: {
    path: '/api/v1/offline/category-revenue',
    responseField: 'revenue',
    notFoundCode: 2008,
  },
});
