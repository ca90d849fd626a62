// The `log` format (AWS's delimited logs and a generic preset) and the records path of `cloudtrail`.
import type { RouteInput } from '@eventline/config';
import { routeSchema } from '@eventline/config';
import { PermanentError } from '@eventline/core';
import { decodeJsonArray, decodeLog, logResumable, splitLine } from '@eventline/core/formats';
import { describe, expect, it } from 'vitest';
import { decodeAll, exact, fixture } from '../fixtures/formats/harness.ts';

const logRoute = (log: RouteInput['log']): RouteInput => ({ format: 'log', suffix: '.log', log });

describe('log decoder: AWS presets', () => {
  it('reads ALB lines: quoted fields, "-" as null, exact numbers, extra and missing trailing fields, bad lines', async () => {
    const { records, failures, thrown } = await decodeAll(decodeLog, await fixture('logs/alb.log'), {
      route: logRoute({ preset: 'alb' }),
      key: 'AWSLogs/alb.log',
    });

    expect(thrown).toBeUndefined();
    expect(records.map((r) => r.position)).toEqual([
      { line: 1, index: 0 },
      { line: 2, index: 1 },
      { line: 5, index: 4 },
    ]);
    const first = exact(records[0]!.value) as Record<string, unknown>;
    expect(first).toMatchObject({
      type: 'http',
      time: '2018-07-02T22:23:00.186641Z',
      client_port: '192.168.131.39:2817',
      request_processing_time: 'n:0.000',
      elb_status_code: 'n:200',
      sent_bytes: 'n:366',
      request: 'GET http://www.example.com:80/ HTTP/1.1',
      user_agent: 'curl/7.46.0',
      ssl_cipher: null,
      domain_name: null,
      matched_rule_priority: 'n:0',
      actions_executed: 'forward',
      target_port_list: '10.0.0.1:80',
      conn_trace_id: 'TID_1234abcd5678ef90',
    });
    expect(Object.keys(first)).toHaveLength(30);
    // A backslash-escaped quote and a stray quote inside the user agent; a field AWS added later.
    expect(exact(records[1]!.value)).toMatchObject({
      user_agent: 'Mozilla/5.0 (say "hi") x"y agent',
      actions_executed: 'authenticate,forward',
      _extra: ['new-field'],
    });
    expect(failures.map((f) => [f.code, f.position, f.message])).toEqual([
      [
        'bad-number',
        { line: 3, index: 2, column: 6, field: 'request_processing_time' },
        'AWSLogs/alb.log: line 3, field 6 ("request_processing_time"): "abc" is not a number',
      ],
      ['field-count', { line: 4, index: 3 }, 'AWSLogs/alb.log: line 4: expected at least 16 fields, got 7'],
    ]);
  });

  it('reads an older ALB line with fewer fields than today, leaving the missing ones out', async () => {
    const line =
      'http 2016-08-10T22:08:42.945958Z app/my-lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - -\n';
    const { records, failures } = await decodeAll(decodeLog, line, { route: logRoute({ preset: 'alb' }) });

    expect(failures).toEqual([]);
    expect(Object.keys(records[0]!.value as object)).toHaveLength(16);
  });

  it('reads CLB lines', async () => {
    const line =
      '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -\n';
    const { records } = await decodeAll(decodeLog, line, { route: logRoute({ preset: 'clb' }) });

    expect(exact(records[0]!.value)).toEqual({
      timestamp: '2015-05-13T23:39:43.945958Z',
      elb: 'my-loadbalancer',
      client_port: '192.168.131.39:2817',
      backend_port: '10.0.0.1:80',
      request_processing_time: 'n:0.000073',
      backend_processing_time: 'n:0.001048',
      response_processing_time: 'n:0.000057',
      elb_status_code: 'n:200',
      backend_status_code: 'n:200',
      received_bytes: 'n:0',
      sent_bytes: 'n:29',
      request: 'GET http://www.example.com:80/ HTTP/1.1',
      user_agent: 'curl/7.38.0',
      ssl_cipher: null,
      ssl_protocol: null,
    });
  });

  it('reads S3 server access logs, their [time] field included', async () => {
    const { records, failures } = await decodeAll(decodeLog, await fixture('logs/s3-access.log'), {
      route: logRoute({ preset: 's3-access' }),
    });

    expect(failures).toEqual([]);
    expect(records).toHaveLength(2);
    expect(exact(records[0]!.value)).toMatchObject({
      bucket: 'amzn-s3-demo-bucket1',
      time: '06/Feb/2019:00:00:38 +0000',
      remote_ip: '192.0.2.3',
      operation: 'REST.GET.VERSIONING',
      key: null,
      request_uri: 'GET /amzn-s3-demo-bucket1?versioning HTTP/1.1',
      http_status: 'n:200',
      bytes_sent: 'n:113',
      object_size: null,
      total_time: 'n:7',
      user_agent: 'S3Console/0.4',
      acl_required: 'Yes',
    });
  });

  it('reads VPC Flow Logs by their header line: default and custom formats, NODATA, a bad number', async () => {
    const plain = await decodeAll(decodeLog, await fixture('logs/vpc-flow-default.log'), {
      route: logRoute({ preset: 'vpc-flow' }),
    });
    const custom = await decodeAll(decodeLog, await fixture('logs/vpc-flow-custom.log'), {
      route: logRoute({ preset: 'vpc-flow' }),
    });

    expect(plain.records.map((r) => [exact(r.value), r.position])).toEqual([
      [
        {
          version: 'n:2',
          'account-id': '123456789010',
          'interface-id': 'eni-1235b8ca123456789',
          srcaddr: '172.31.16.139',
          dstaddr: '172.31.16.21',
          srcport: 'n:20641',
          dstport: 'n:22',
          protocol: 'n:6',
          packets: 'n:20',
          bytes: 'n:4249',
          start: 'n:1418530010',
          end: 'n:1418530070',
          action: 'ACCEPT',
          'log-status': 'OK',
        },
        { line: 2, index: 0 },
      ],
      [expect.objectContaining({ action: 'REJECT' }), { line: 3, index: 1 }],
      [
        expect.objectContaining({ srcaddr: null, packets: null, 'log-status': 'NODATA' }),
        { line: 4, index: 2 },
      ],
    ]);
    expect(plain.failures.map((f) => [f.code, f.position])).toEqual([
      ['bad-number', { line: 5, index: 3, column: 9, field: 'packets' }],
    ]);
    expect(exact(custom.records[0]!.value)).toMatchObject({
      'vpc-id': 'vpc-12345678',
      'pkt-srcaddr': '52.213.180.42',
      'tcp-flags': 'n:2',
      bytes: 'n:568',
    });
  });

  it('fails a VPC flow file whose header disagrees with the route fields, naming line 1', async () => {
    const { thrown } = await decodeAll(decodeLog, await fixture('logs/vpc-flow-custom.log'), {
      route: logRoute({ preset: 'vpc-flow', fields: ['version', 'srcaddr'] }),
      key: 'flows/f.log',
    });

    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as PermanentError).message).toMatch(
      /^flows\/f\.log: line 1: the header names fields "version vpc-id/,
    );
  });

  it('reads CloudFront standard logs by their #Fields: directive (tab-separated)', async () => {
    const { records, failures } = await decodeAll(decodeLog, await fixture('logs/cloudfront.log'), {
      route: logRoute({ preset: 'cloudfront' }),
    });

    expect(failures).toEqual([]);
    expect(records.map((r) => r.position)).toEqual([
      { line: 3, index: 0 },
      { line: 4, index: 1 },
    ]);
    expect(exact(records[1]!.value)).toMatchObject({
      date: '2019-12-13',
      'x-edge-location': 'SEA19-C1',
      'sc-status': 'n:502',
      'cs(Referer)': 'http://www.example.com/',
      'time-taken': 'n:0.102',
      'x-edge-detailed-result-type': 'OriginDnsError',
      'sc-range-start': null,
    });
  });
});

describe('log decoder: generic preset', () => {
  it('splits by the route delimiter and quote, types the named fields, counts fields exactly', async () => {
    const text = "a|b|c\n1|'x|y'|true\n2|plain\n3|z|maybe\n";
    const { records, failures } = await decodeAll(decodeLog, text, {
      route: logRoute({ delimiter: '|', quote: "'", header: true, types: { a: 'number', c: 'boolean' } }),
    });

    expect(records.map((r) => exact(r.value))).toEqual([{ a: 'n:1', b: 'x|y', c: true }]);
    expect(failures.map((f) => [f.code, f.position])).toEqual([
      ['field-count', { line: 3, index: 1 }],
      ['bad-boolean', { line: 4, index: 2, column: 3, field: 'c' }],
    ]);
  });

  it('reports an unclosed quote with its column and goes on', async () => {
    const { records, failures } = await decodeAll(decodeLog, 'x "open\ny z\n', {
      route: logRoute({ fields: ['a', 'b'] }),
    });

    expect(records.map((r) => r.value)).toEqual([{ a: 'y', b: 'z' }]);
    expect(failures[0]!.message).toBe('incoming/file: line 1, column 3: the " opened here is never closed');
  });

  it('gives the same records whatever the chunk boundaries', async () => {
    const data = await fixture('logs/alb.log');
    const whole = await decodeAll(decodeLog, data, { route: logRoute({ preset: 'alb' }) });

    for (const chunkSize of [1, 7, 300]) {
      const split = await decodeAll(decodeLog, data, { route: logRoute({ preset: 'alb' }), chunkSize });
      expect(split.all).toEqual(whole.all);
    }
  });

  it('refuses a generic route without field names or header, naming the setting', () => {
    const result = routeSchema.safeParse(logRoute({ preset: 'generic' }));

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['log', 'fields']);
  });

  it('resumes from a byte offset only where the fields do not come from a header', () => {
    const resumable = (log: RouteInput['log']) => logResumable(routeSchema.parse(logRoute(log)));

    expect(resumable({ preset: 'alb' })).toBe(true);
    expect(resumable({ preset: 'generic', fields: ['a'] })).toBe(true);
    expect(resumable({ preset: 'vpc-flow' })).toBe(false);
    expect(resumable({ preset: 'vpc-flow', header: false })).toBe(true);
    expect(resumable({ preset: 'cloudfront' })).toBe(false);
  });

  it('splits lines: empty quoted fields, escapes, a delimiter of several characters', () => {
    expect(splitLine('"" "a\\\\b" c', ' ', '"', false)).toEqual({ fields: ['', 'a\\b', 'c'] });
    expect(splitLine('a::b::::c', '::', undefined, false)).toEqual({ fields: ['a', 'b', '', 'c'] });
    expect(splitLine('[1 2] x', ' ', '"', true)).toEqual({ fields: ['1 2', 'x'] });
  });
});

describe('cloudtrail: the records path into a JSON document', () => {
  const trail = {
    Records: [
      {
        eventVersion: '1.08',
        eventTime: '2024-01-15T10:00:00Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        requestParameters: { bucketName: 'b', key: 'k' },
        readOnly: true,
      },
      { eventVersion: '1.08', eventName: 'PutObject', additionalEventData: { bytesTransferredIn: 1234 } },
    ],
  };

  it('reads the Records of a CloudTrail document, skipping what sits beside them', async () => {
    const records_ = trail.Records.map((r) => JSON.stringify(r)).join(',');
    const text = `{"meta":{"Records":[{"not":"these"}]},"Records":[${records_}],"after":[1,2]}`;
    const { records, failures, thrown } = await decodeAll(decodeJsonArray, text, {
      route: { format: 'cloudtrail', suffix: '.json.gz' },
      chunkSize: 5,
    });

    expect(thrown).toBeUndefined();
    expect(failures).toEqual([]);
    expect(records.map((r) => [(r.value as { eventName: string }).eventName, r.position])).toEqual([
      ['GetObject', { index: 0 }],
      ['PutObject', { index: 1 }],
    ]);
    expect(exact(records[0]!.value)).toMatchObject({ requestParameters: { bucketName: 'b', key: 'k' } });
  });

  it('follows a nested path and fails a document without the array, naming the path', async () => {
    const nested = await decodeAll(decodeJsonArray, '{"data":{"items":[{"id":1}]}}', {
      route: { format: 'json-array', jsonArray: { recordsPath: 'data.items' } },
    });
    const missing = await decodeAll(decodeJsonArray, '{"records":[]}', {
      route: { format: 'cloudtrail' },
      key: 'AWSLogs/ct.json',
    });
    const scalar = await decodeAll(decodeJsonArray, '{"Records":5}', { route: { format: 'cloudtrail' } });
    const array = await decodeAll(decodeJsonArray, '[{"a":1}]', { route: { format: 'cloudtrail' } });

    expect(nested.records.map((r) => exact(r.value))).toEqual([{ id: 'n:1' }]);
    expect((missing.thrown as PermanentError).message).toBe(
      'AWSLogs/ct.json: expected a JSON object with an array of records at "Records": no array at "Records"',
    );
    expect((scalar.thrown as PermanentError).message).toMatch(/"Records" is not an array$/);
    expect((array.thrown as PermanentError).message).toMatch(/the document is not an object$/);
  });
});
