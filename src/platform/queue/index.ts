export type {
  ConsumeOptions,
  DeadLetter,
  MessageHandler,
  HandlerWrapper,
  PublishInput,
  QueueMessage,
  QueuePort,
  QueueStats,
  Subscription,
} from './queue.port.js';
export { outageGate, type OutageGateOptions } from './outage-gate.js';
