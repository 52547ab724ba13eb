import { feature, sum } from '@fstore/definitions';
import { product } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'units_sold',
  entity: product,
  source: transactions,
  engine: 'batch',
  aggregation: sum('30d'),
  of: 'quantity',
  type: 'int',
  description: 'Sum of quantity in the 30 days up to the as-of time',
  owner: 'catalog-ml',
  tags: ['units', 'seed'],
  legacy: {
    path: '/api/v1/offline/sold-product-units',
    responseField: 'units',
    notFoundCode: 2010,
  },
});
