import { feature, lastK } from '@fstore/definitions';
import { category } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'revenue_category',
  entity: category,
  source: transactions,
  engine: 'stream',
  aggregation: lastK(3, 'sum'),
  of: 'amount',
  type: 'decimal',
  description: "Sum of amount over the category's 3 latest events",
  owner: 'catalog-ml',
  tags: ['revenue', 'seed'],
  legacy: {
    path: '/api/v1/stream/total-revenue-by-category',
    responseField: 'revenue',
    notFoundCode: 2006,
  },
});
