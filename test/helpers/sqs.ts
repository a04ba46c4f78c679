/**
 * A real SQS-compatible server on 127.0.0.1 and the real AWS SDK client pointed at it, for the jobs
 * queue. The server is fauxqs 1.9.2 (the last release that runs on Node 20; later ones import
 * node:sqlite): it speaks the AWS JSON protocol of the current @aws-sdk/client-sqs (sqslite answers
 * it 415: it knows only the retired query protocol), keeps visibility timeouts, counts receives
 * (ApproximateReceiveCount) and moves a message to the dead-letter queue past maxReceiveCount. Its
 * own startFauxqs listens on every interface, so the app is built and bound to loopback here.
 *
 * Queue URLs are `http://sqs.us-east-1.localhost:PORT/000000000000/NAME`, and a client without an
 * endpoint sends to its queue URL's host, as the deployed function does: while the server runs,
 * fauxqs's interceptLocalhostDns resolves `*.localhost` (loopback by RFC 6761) to 127.0.0.1.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { buildApp, interceptLocalhostDns } from 'fauxqs';
import type { SqsEvent } from '@darklens/functions/lambda';

export const TEST_CREDENTIALS = { accessKeyId: 'DARKLENSTEST', secretAccessKey: 'DARKLENSTEST' };
const REGION = 'us-east-1';

export interface LocalQueue {
  url: string;
  arn: string;
}

export interface LocalSqs {
  client: SQSClient;
  endpoint: string;
  /** A queue with a dead-letter queue after `maxReceiveCount` receives. */
  createQueue(name: string, options?: { maxReceiveCount?: number; visibilitySeconds?: number }): Promise<{ queue: LocalQueue; dlq: LocalQueue }>;
  /** Receives up to `max` messages (10 a call) with their system attributes; they stay in flight for `visibilitySeconds`. */
  receive(url: string, max: number, visibilitySeconds?: number): Promise<Message[]>;
  close(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) throw new Error(`the SQS server listens on ${endpoint}, not on loopback`);
  const restoreDns = interceptLocalhostDns();
  const client = new SQSClient({ endpoint, region: REGION, credentials: TEST_CREDENTIALS });

  const make = async (name: string, attributes: Record<string, string>): Promise<LocalQueue> => {
    const url = (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
    const arn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    return { url, arn };
  };

  return {
    client,
    endpoint,
    async createQueue(name, options = {}) {
      const dlq = await make(`${name}-dlq`, {});
      const queue = await make(name, {
        VisibilityTimeout: String(options.visibilitySeconds ?? 30),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.maxReceiveCount ?? 5 }),
      });
      return { queue, dlq };
    },
    async receive(url, max, visibilitySeconds) {
      const out: Message[] = [];
      while (out.length < max) {
        const res = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, max - out.length),
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 0,
            ...(visibilitySeconds === undefined ? {} : { VisibilityTimeout: visibilitySeconds }),
          }),
        );
        if (!res.Messages?.length) break;
        out.push(...res.Messages);
      }
      return out;
    },
    async close() {
      client.destroy();
      restoreDns();
      await app.close();
    },
  };
}

/** The event Lambda's SQS event source mapping sends for received messages (AWS's documented shape). */
export function sqsEvent(messages: Message[], queueArn: string): SqsEvent {
  return {
    Records: messages.map((m) => {
      const a = m.Attributes ?? {};
      return {
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: {
          ApproximateReceiveCount: a.ApproximateReceiveCount!,
          SentTimestamp: a.SentTimestamp!,
          SenderId: a.SenderId ?? '',
          ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '',
        },
        messageAttributes: m.MessageAttributes ?? {},
        md5OfBody: m.MD5OfBody!,
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: REGION,
      };
    }),
  };
}
