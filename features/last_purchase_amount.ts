import { feature, last } from '@fstore/definitions';
import { customer } from './entities';
import { transactions } from './sources';

export default feature({
  name: 'last_purchase_amount',
  entity: customer,
  source: transactions,
  engine: 'stream',
  aggregation: last(),
  of: 'amount',
  type: 'decimal',
  description: "Amount (price × quantity) of the customer's latest event",
  owner: 'customer-ml',
  tags: ['purchases', 'seed'],
  legacy: {
    path: '/api/v1/stream/customer-last-purchase-amount',
    responseField: 'amount',
    notFoundCode: 2004,
  },
});
