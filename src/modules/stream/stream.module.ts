import { defineModule, noMigrations } from '../../shared/module.js';
import type { Principal } from '../accounts/index.js';
import { createStream, type Stream } from './index.js';

/** Server-Sent Events fed by the per-user pub/sub channels (API role); authenticated by accounts. */
export const streamModule = defineModule({
  name: 'stream',
  needs: ['accounts'],
  migrations: noMigrations,
  create: ({ config, adapters, clock }, { accounts }: { accounts: { authenticate(authorization: string): Promise<Principal | null> } }): Stream =>
    createStream({
      pubsub: adapters.pubsub,
      authenticate: (authorization) => accounts.authenticate(authorization),
      replayEvents: config.STREAM_REPLAY_EVENTS,
      heartbeatSeconds: config.STREAM_HEARTBEAT_SECONDS,
      clock,
    }),
});
