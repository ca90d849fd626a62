import { defineConfig } from '@eventline/config/define';

/**
 * eventline's configuration. The defaults reproduce the seed: files under `incoming/` ending in
 * `.json` hold one JSON object; each becomes item `{ pk: data.id ?? key, payload: data, ... }` in
 * table `events`, and a notification on topic `events-notify`.
 */
export default defineConfig({
  routes: [{ id: 'default', prefix: 'incoming/', suffix: '.json', format: 'json', key: 'id' }],
  // On AWS, who gets the CloudWatch alarms. Before deploying for real, replace this with recipients, e.g.
  // alarms: { subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }] }
  // or alarms: { topicArns: ['arn:aws:sns:<region>:<account>:<your on-call topic>'] }.
  alarms: { notify: 'nowhere' },
});
