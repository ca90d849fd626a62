import { defineConfig } from '@eventline/config/define';
import { z } from 'zod';

/**
 * Recipe "orders": the seed's workload. Single orders arrive as JSON objects (one file each, as the
 * seed does); nightly exports arrive as CSV with typed columns. Both are checked by one schema and
 * keyed by order id, so an order re-sent in an export overwrites nothing it should not: the ledger
 * keeps one item per order. Amounts keep their exact decimal text. Try it: examples/orders/README.md.
 */
const order = z.object({
  orderId: z.string().min(1),
  customer: z.string().min(1),
  amount: z.number().nonnegative(),
  currency: z.enum(['EUR', 'USD', 'GBP']),
});

export default defineConfig({
  routes: [
    { id: 'orders', prefix: 'orders/', suffix: '.json', format: 'json', key: 'orderId', schema: order },
    {
      id: 'exports',
      prefix: 'exports/',
      suffix: '.csv',
      format: 'csv',
      key: 'orderId',
      schema: order,
      csv: { types: { amount: 'number' } },
    },
  ],
  alarms: { notify: 'nowhere' },
});
