import { SQSClient } from '@aws-sdk/client-sqs';
import { startMoto } from '@eventline/test-kit';

/**
 * An SQS endpoint for the event source mapping's tests: a real SQS API on loopback. Today moto_server
 * (installed with Python on these machines); the event source mapping runs against the project's SQS emulator in the local stack.
 */
export interface SqsEndpoint {
  endpoint: string;
  client: SQSClient;
  close(): Promise<void>;
}

export async function startSqs(): Promise<SqsEndpoint> {
  const moto = await startMoto();
  const client = new SQSClient({
    endpoint: moto.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint: moto.url,
    client,
    async close() {
      client.destroy();
      await moto.close();
    },
  };
}
