/** The entities features are kept for: the raw-event columns that identify one, in key order. */
import { entity } from '@fstore/definitions';

export const product = entity({ name: 'product', keys: ['product_id'], description: 'A product' });

export const customer = entity({
  name: 'customer',
  keys: ['customer_id'],
  description: 'A customer',
});

export const category = entity({
  name: 'category',
  keys: ['category'],
  description: 'A product category',
});

export const customerProduct = entity({
  name: 'customer_product',
  keys: ['customer_id', 'product_id'],
  description: 'A customer together with a product',
});
