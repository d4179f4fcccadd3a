import { decodeEnvelope, deliveryStatusSchema } from '@switchboard/events';
import type { KafkaClient, MessageConsumer } from '@switchboard/kafka';
import type { Logger } from 'pino';
import type { RecordDeliveryStatusUseCase } from './record-delivery-status.usecase';

export interface DeliveryStatusConsumerOptions {
  topic: string;
  groupId: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/**
 * Kafka transport of delivery reports: one group for all replicas (each report is recorded
 * once), reports keyed by conversation so one conversation's arrive in order. An invalid report
 * fails every attempt and ends in the dead-letter topic with the validation error as its reason.
 */
export function createDeliveryStatusConsumer(
  kafka: KafkaClient,
  record: RecordDeliveryStatusUseCase,
  options: DeliveryStatusConsumerOptions,
  logger: Logger,
): MessageConsumer {
  return kafka.createConsumer({
    groupId: options.groupId,
    topics: [options.topic],
    fromBeginning: true,
    sessionTimeoutMs: options.sessionTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    handler: async (message) => {
      const report = decodeEnvelope('delivery status', deliveryStatusSchema, message.value);
      const outcome = await record.execute(report);
      logger.debug(
        { messageId: report.messageId, status: report.status, outcome },
        'delivery status recorded',
      );
    },
  });
}
