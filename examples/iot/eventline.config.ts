import { defineConfig } from '@eventline/config/define';

/**
 * Recipe "IoT": sensor readings as Parquet files, as Kinesis Data Firehose (record format conversion)
 * or a Glue job writes them to S3. Each reading becomes one ledger item keyed by device and time,
 * with its exact values: DECIMAL temperatures and INT64 sequence numbers as exact numbers, timestamps
 * as ISO strings, the location struct and the attributes map as maps, the tags as a list. A
 * transform drops calibration readings and adds the day, for queries by device and day.
 * Notifications: a digest a minute of the files processed, and each failure at once.
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
      // One summary a minute (or per 1,000 files) instead of one notification per file; a failed file
      // also notifies at once.
      notify: { digest: { everySeconds: 60, maxFiles: 1000, failuresImmediately: true } },
      // Calibration readings (status CAL) are not measurements: dropped here, on purpose.
      transform: (r) => (r.status === 'CAL' ? null : { ...r, day: String(r.ts).slice(0, 10) }),
    },
  ],
  topic: { subscriptions: [{ protocol: 'sqs', queue: 'iot-digests' }] },
  alarms: { notify: 'nowhere' },
});
