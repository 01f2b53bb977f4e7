export type {
  ConsumeOptions,
  DeadLetter,
  MessageHandler,
  PublishInput,
  QueueMessage,
  QueuePort,
  QueueStats,
  Subscription,
} from './queue.port.js';
