/**
 * Sample data for the orders recipe: single orders as JSON files and one CSV export with a header,
 * quoted commas, exact decimal amounts and two bad rows (a negative amount, a missing customer), which
 * the route rejects with their line while the rest is stored. Deterministic.
 * Run: `npx tsx examples/orders/generate.ts [out-dir] [orders-in-export]`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface SampleFile {
  key: string;
  body: string;
  /** Records the route stores from it. */
  expected: number;
  rejected: number;
}

const CUSTOMERS = ['Acme, Inc.', 'Globex', 'Initech', 'Umbrella "UK" Ltd', 'Stark Industries'];
const CURRENCIES = ['EUR', 'USD', 'GBP'];

const amount = (i: number) => `${(i * 37) % 1000}.${String((i * 13) % 100).padStart(2, '0')}`;
const csvCell = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export function orders(exportSize = 100): SampleFile[] {
  const singles = [1, 2, 3].map((i) => ({
    key: `orders/2026/03/01/order-${1000 + i}.json`,
    body: JSON.stringify({
      orderId: `o-${1000 + i}`,
      customer: CUSTOMERS[i % CUSTOMERS.length],
      amount: Number(amount(i)),
      currency: CURRENCIES[i % 3],
      items: [{ sku: `SKU-${i}`, qty: i }],
    }),
    expected: 1,
    rejected: 0,
  }));
  const rows = Array.from({ length: exportSize }, (_, i) => {
    const n = 2000 + i;
    const customer = i === 7 ? '' : CUSTOMERS[i % CUSTOMERS.length]!;
    const value = i === 11 ? '-5.00' : amount(n);
    return [`o-${n}`, csvCell(customer), value, CURRENCIES[n % 3]].join(',');
  });
  const bad = exportSize > 11 ? 2 : exportSize > 7 ? 1 : 0;
  return [
    ...singles,
    {
      key: 'exports/2026-03-01.csv',
      body: `orderId,customer,amount,currency\n${rows.join('\n')}\n`,
      expected: exportSize - bad,
      rejected: bad,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'sample-orders';
  for (const file of orders(Number(process.argv[3] ?? 100))) {
    const path = join(out, file.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.body);
    console.log(`${path} (${file.expected} records${file.rejected ? `, ${file.rejected} rejected` : ''})`);
  }
}
