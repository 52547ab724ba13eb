import { feature, sum } from '@fstore/definitions';
import { customer } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'spend_24h',
  entity: customer,
  source: transactions,
  engine: 'stream',
  aggregation: sum('24h'),
  of: 'amount',
  type: 'decimal',
  description: 'What the customer spent (price × quantity) in the last 24 hours',
  owner: 'customer-ml',
  tags: ['windows'],
});
