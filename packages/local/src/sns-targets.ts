import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DeliveryTargets, MessageAttributes } from '@eventline/sns-emulator';
import type { SqsEmulator } from '@eventline/sqs-emulator';

/**
 * Where the local SNS delivers to sqs and lambda subscribers: an sqs subscription's queue is the
 * local SQS emulator's queue of that name (SendMessage in process, as SNS's own delivery is not an
 * API call the client sees); a lambda subscription is invoked through Lambda's Invoke API
 * (InvocationType Event, as SNS invokes) at `lambdaEndpoint`, by default the stack's edge.
 */
export function snsDeliveryTargets(options: {
  sqs: () => SqsEmulator;
  lambdaEndpoint: () => string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}): DeliveryTargets {
  return {
    async sqs(queueArn, message) {
      const name = queueArn.split(':').at(-1) ?? queueArn;
      await options.sqs().call('SendMessage', {
        QueueUrl: name,
        MessageBody: message.body,
        ...(message.attributes ? { MessageAttributes: sqsAttributes(message.attributes) } : {}),
        ...(message.messageGroupId === undefined ? {} : { MessageGroupId: message.messageGroupId }),
        ...(message.messageDeduplicationId === undefined
          ? {}
          : { MessageDeduplicationId: message.messageDeduplicationId }),
      });
    },
    async lambda(functionArn, event) {
      // A client per delivery (local volumes are small): nothing is left open when the stack stops.
      const lambda = new LambdaClient({
        endpoint: options.lambdaEndpoint(),
        region: options.region,
        credentials: options.credentials,
        maxAttempts: 1,
      });
      try {
        const answer = await lambda.send(
          new InvokeCommand({
            FunctionName: functionArn,
            InvocationType: 'Event',
            Payload: Buffer.from(JSON.stringify(event)),
          }),
        );
        if (answer.StatusCode !== 202) throw new Error(`Lambda Invoke answered ${answer.StatusCode}`);
      } finally {
        lambda.destroy();
      }
    },
  };
}

/** SNS message attributes as SQS takes them; SNS's `String.Array` travels as a String (SQS has no arrays). */
function sqsAttributes(attributes: MessageAttributes): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const dataType = value.DataType === 'String.Array' ? 'String' : value.DataType;
    out[name] =
      value.BinaryValue !== undefined
        ? { DataType: dataType, BinaryValue: value.BinaryValue }
        : { DataType: dataType, StringValue: value.StringValue ?? '' };
  }
  return out;
}
