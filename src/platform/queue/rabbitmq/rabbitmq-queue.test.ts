import { afterAll, describe } from 'vitest';
import { shouldRun } from '../../../../test/helpers/services.js';
import { runQueueContract } from '../queue.contract.js';
import type { RabbitMqQueue } from './rabbitmq-queue.js';
import { deleteTrackedQueues, testQueue } from './testing/rabbitmq-test-kit.js';

describe.runIf(await shouldRun('rabbitmq'))('RabbitMqQueue', () => {
  afterAll(deleteTrackedQueues);

  runQueueContract('RabbitMqQueue', {
    // Keys are sharded over several queues, and a broker cannot age a message nobody took (see the README).
    settings: { maxAttempts: 3, minRetryDelayMs: 50, limits: { perKeyOrderOnly: true, ageOfTakenMessagesOnly: true } },
    open: async () => testQueue(),
    crash: (queue) => (queue as RabbitMqQueue).close({ timeoutMs: 0 }),
  });
});
