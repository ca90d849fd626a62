import { API, type Case } from './case-kit.ts';

/** Time to live: UpdateTimeToLive and DescribeTimeToLive. */
export const ttlCases: Case[] = [
  {
    name: 'UpdateTimeToLive turns TTL on; DescribeTimeToLive reports it; enabling twice is refused',
    says: 'UpdateTimeToLive answers the TimeToLiveSpecification it applied; DescribeTimeToLive gives TimeToLiveStatus (DISABLED before, ENABLING or ENABLED after) and the AttributeName; TTL already enabled is a ValidationException.',
    doc: `${API}/API_UpdateTimeToLive.html`,
    table: 'hash',
    differs: { moto: 'moto accepts enabling TTL twice' },
    steps: [
      {
        op: 'DescribeTimeToLive',
        params: { TableName: '$T' },
        ok: { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } },
      },
      {
        op: 'UpdateTimeToLive',
        params: { TableName: '$T', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } },
        ok: { TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } },
      },
      {
        op: 'DescribeTimeToLive',
        params: { TableName: '$T' },
        ok: {
          TimeToLiveDescription: {
            TimeToLiveStatus: { $in: ['ENABLING', 'ENABLED'] },
            AttributeName: 'expires',
          },
        },
      },
      {
        op: 'UpdateTimeToLive',
        params: { TableName: '$T', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } },
        error: 'ValidationException',
      },
    ],
  },
  {
    name: 'DescribeTimeToLive on a table that does not exist',
    says: 'ResourceNotFoundException: the operation tried to access a nonexistent table.',
    doc: `${API}/API_DescribeTimeToLive.html#API_DescribeTimeToLive_Errors`,
    table: 'hash',
    differs: { moto: 'moto answers the error code ResourceNotFound, not ResourceNotFoundException' },
    steps: [
      {
        op: 'DescribeTimeToLive',
        params: { TableName: 'no-such-table-conformance' },
        error: 'ResourceNotFoundException',
      },
    ],
  },
];
