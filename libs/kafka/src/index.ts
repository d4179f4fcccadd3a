export type {
  ConsumerOptions,
  IncomingMessage,
  KafkaClient,
  KafkaClientSettings,
  KafkaComponentHealth,
  KafkaHealth,
  KafkaLogger,
  MessageConsumer,
  MessageHandler,
  MessageProducer,
  OutgoingMessage,
  ProducerOptions,
  TopicAdmin,
  TopicSpec,
} from './kafka.types';
export {
  KafkaClosedError,
  KafkaError,
  KafkaRejectedError,
  KafkaUnavailableError,
} from './kafka.errors';
export { DEAD_LETTER_HEADERS, defaultDeadLetterTopic } from './dead-letter.util';
export { KAFKA_METRIC_NAMES } from './kafka-metrics';
export { createKafkaClient } from './kafkajs.adapter';
