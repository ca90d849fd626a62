import { defineConfig } from '@eventline/config/define';

/**
 * Recipe "security logs": CloudTrail, ALB access logs and VPC Flow Logs, as AWS delivers them to S3
 * (gzip), each normalized by a transform into one shape, `{ source, time, ip, action, outcome, ... }`,
 * so a single query covers the three. Each service writes under its own prefix (CloudTrail's
 * S3KeyPrefix, the load balancer's access-log prefix, the flow log's destination folder).
 * Try it: examples/security-logs/README.md.
 */

/** A field as text; AWS logs write `-` for "none", which arrives as null. */
const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

export default defineConfig({
  routes: [
    {
      id: 'cloudtrail',
      prefix: 'trail/AWSLogs/',
      suffix: '.json.gz',
      format: 'cloudtrail',
      key: 'eventID',
      transform: (r) => {
        const identity = (r.userIdentity ?? {}) as Record<string, unknown>;
        return {
          eventID: r.eventID,
          source: 'cloudtrail',
          time: r.eventTime,
          ip: text(r.sourceIPAddress),
          actor: text(identity.arn ?? identity.type),
          action: `${String(r.eventSource).replace('.amazonaws.com', '')}:${String(r.eventName)}`,
          outcome: r.errorCode ? `error:${String(r.errorCode)}` : 'ok',
          region: r.awsRegion,
          detail: r,
        };
      },
    },
    {
      id: 'alb',
      prefix: 'alb/AWSLogs/',
      suffix: '.log.gz',
      format: 'log',
      log: { preset: 'alb' },
      key: 'requestId',
      transform: (r) => ({
        requestId: `${String(r.trace_id)}#${String(r.client_port)}`,
        source: 'alb',
        time: r.time,
        ip: String(r.client_port).replace(/:\d+$/, ''),
        action: String(r.request).split(' ').slice(0, 2).join(' '),
        outcome: `http:${text(r.elb_status_code)}`,
        userAgent: text(r.user_agent),
        bytes: r.sent_bytes,
        detail: r,
      }),
    },
    {
      id: 'vpc-flow',
      prefix: 'flows/AWSLogs/',
      suffix: '.log.gz',
      format: 'log',
      log: { preset: 'vpc-flow' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the route's key template syntax
      key: '${interface}#${start}#${ip}#${srcport}#${dst}#${dstport}#${protocol}',
      // NODATA and SKIPDATA rows carry no flow: dropped here, on purpose.
      transform: (r) =>
        r['log-status'] !== 'OK'
          ? null
          : {
              source: 'vpc-flow',
              time: new Date(Number(r.start) * 1000).toISOString(),
              ip: r.srcaddr,
              dst: r.dstaddr,
              srcport: r.srcport,
              dstport: r.dstport,
              protocol: r.protocol,
              start: r.start,
              interface: r['interface-id'],
              action: 'flow',
              outcome: String(r.action).toLowerCase(),
              bytes: r.bytes,
              packets: r.packets,
            },
    },
  ],
  alarms: { notify: 'nowhere' },
});
