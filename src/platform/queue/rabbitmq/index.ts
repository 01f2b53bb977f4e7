export { RabbitMqConnection, type RabbitMqConnectionOptions } from './rabbitmq-connection.js';
export { PublishRefusedError } from './rabbitmq-publisher.js';
export { RabbitMqQueue, type RabbitMqQueueCloseOptions, type RabbitMqQueueOptions } from './rabbitmq-queue.js';
export { RabbitMqRpc, RpcError, type RabbitMqRpcOptions } from './rabbitmq-rpc.js';
export { RabbitMqEventStream, type RabbitMqEventStreamOptions, type StreamRecord, type StreamStart } from './rabbitmq-stream.js';
