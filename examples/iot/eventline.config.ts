import { defineConfig } from '@eventline/config/define';

/**
 * Recipe "IoT": sensor readings as Parquet files, as Kinesis Data Firehose (record format conversion)
 * or a Glue job writes them to S3. Each reading becomes one ledger item keyed by device and time,
 * with its exact values: DECIMAL temperatures and INT64 sequence numbers as exact numbers, timestamps
 * as ISO strings, the location struct and the attributes map as maps, the tags as a list. A
 * transform drops calibration readings and adds the day, for queries by device and day.
 * Notifications: only for failed files (a digest of processed files, once the local stack closes
 * digest windows: `notify: { digest: … }` is refused by `npm start` today).
 * Try it: examples/iot/README.md.
 */
export default defineConfig({
  routes: [
    {
      id: 'readings',
      prefix: 'iot/readings/',
      suffix: '.parquet',
      format: 'parquet',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the route's key template syntax
      key: '${device_id}#${ts}',
      notify: 'failures',
      // Calibration readings (status CAL) are not measurements: dropped here, on purpose.
      transform: (r) => (r.status === 'CAL' ? null : { ...r, day: String(r.ts).slice(0, 10) }),
    },
  ],
  alarms: { notify: 'nowhere' },
});
