/**
 * The files the benchmarks put: small JSON orders (figures 1, 2, 5, 6) and IoT NDJSON readings
 * (figure 3). Deterministic, so every variant and every run gets the same bytes. Numbers are
 * integers (cents), which every handler can store: the seed's boto3 resource rejects Python floats.
 */
export function orderJson(id: string, i: number): string {
  const lines = 1 + (i % 3);
  const items = Array.from({ length: lines }, (_, n) => ({
    sku: `SKU-${String((i * 7 + n * 13) % 10_000).padStart(5, '0')}`,
    qty: 1 + ((i + n) % 4),
    priceCents: 199 + ((i * 31 + n * 17) % 9_800),
  }));
  return JSON.stringify({
    id,
    customer: { id: `cust-${String(i % 5_000).padStart(5, '0')}`, country: ['DE', 'FR', 'US', 'JP'][i % 4] },
    items,
    totalCents: items.reduce((sum, item) => sum + item.qty * item.priceCents, 0),
    currency: 'EUR',
    createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
  });
}

/**
 * One NDJSON line of an IoT reading (about 250 bytes: device, site, position, firmware, sensor values,
 * radio, uptime, tags, a status); `ts` is unique per line, so `${deviceId}#${ts}` keys every record apart.
 */
export function readingLine(i: number): string {
  const device = i % 1_000;
  const site = device % 40;
  return `{"deviceId":"dev-${String(device).padStart(5, '0')}","ts":${1_767_225_600_000 + i},"site":"site-${String(site).padStart(3, '0')}","lat":${(48 + site / 100).toFixed(4)},"lon":${(11 + device / 1000).toFixed(4)},"fw":"2.${device % 7}.${i % 3}","temperature":${(15 + (i % 200) / 10).toFixed(1)},"humidity":${30 + (i % 50)},"pressure":${990 + (i % 40)},"battery":${(3 + (i % 120) / 100).toFixed(2)},"rssi":-${40 + (i % 60)},"uptimeS":${(i * 37) % 10_000_000},"tags":["outdoor","zone-${device % 12}"],"status":"${i % 97 === 0 ? 'warn' : 'ok'}"}\n`;
}
