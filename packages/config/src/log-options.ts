import * as z from 'zod';

/**
 * Route options of the log formats: `log` (delimited log lines: AWS's ALB, CLB, S3 server access,
 * VPC Flow Logs, CloudFront standard logs, or any delimiter/quote/field list) and the records path
 * of `json-array` (`cloudtrail` is json-array with the path `Records`). The presets' field lists live
 * with the decoder (packages/core/src/formats/log-presets.ts).
 */

export const LOG_PRESETS = ['generic', 'alb', 'clb', 's3-access', 'vpc-flow', 'cloudfront'] as const;
export type LogPreset = (typeof LOG_PRESETS)[number];

export const LOG_FIELD_TYPES = ['string', 'number', 'boolean', 'json'] as const;

const fieldName = z.string().min(1).max(255);

export const logOptions = z
  .object({
    /** Which log: its delimiter, quoting, field names and number fields. `generic` takes them from here. */
    preset: z.enum(LOG_PRESETS).default('generic'),
    /** Field separator; one run of it separates two fields when it is a space. Preset default. */
    delimiter: z.string().min(1).max(4).optional(),
    /** Opens and closes a field that holds the delimiter; a backslash escapes it inside. Preset default. */
    quote: z.string().length(1).optional(),
    /**
     * Field names, in order. Presets have AWS's documented list; for `vpc-flow` a custom format's
     * list (the header line names them too, and must agree), for `generic` they are required unless
     * `header` is set.
     */
    fields: z.array(fieldName).min(1).optional(),
    /**
     * Whether the first line names the fields (VPC Flow Logs in S3 have one: default for `vpc-flow`).
     * CloudFront's `#Fields:` directive is always read, whatever this says.
     */
    header: z.boolean().optional(),
    /** A field holding exactly this (AWS logs write `-`) is null. Presets: `-`; generic: none. */
    nullValue: z.string().optional(),
    /** Field types over the preset's; fields not named stay strings. `number` keeps the exact text. */
    types: z.record(fieldName, z.enum(LOG_FIELD_TYPES)).default({}),
  })
  .strict();

export type LogOptions = z.output<typeof logOptions>;

export const jsonArrayOptions = z
  .object({
    /**
     * Where the array of records is inside the document: dot-separated keys (`Records` for
     * CloudTrail, `data.items`); empty means the document is the array.
     */
    recordsPath: z
      .string()
      .regex(/^([^.]+(\.[^.]+)*)?$/, 'dot-separated keys, such as Records or data.items')
      .default(''),
  })
  .strict();
