import { count, feature } from '@fstore/definitions';
import { customer } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'purchases_1h',
  entity: customer,
  source: transactions,
  engine: 'stream',
  aggregation: count('1h'),
  type: 'int',
  description: "Number of the customer's purchases in the last hour",
  owner: 'customer-ml',
  tags: ['windows'],
});
