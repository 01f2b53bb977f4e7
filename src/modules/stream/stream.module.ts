import { defineModule, noMigrations } from '../../shared/module.js';
import type { Accounts, Principal } from '../accounts/index.js';
import { createStream, type Stream } from './index.js';

/** Server-Sent Events fed by the per-user pub/sub channels (API role); authenticated by oauth (accounts' credentials through it), closed when accounts revokes the session. */
export const streamModule = defineModule({
  name: 'stream',
  needs: ['accounts', 'oauth'],
  migrations: noMigrations,
  create: ({ config, adapters, clock }, { accounts, oauth }: { accounts: Pick<Accounts, 'onSessionRevoked'>; oauth: { authenticate(authorization: string): Promise<Principal | null> } }): Stream =>
    createStream({
      pubsub: adapters.pubsub,
      authenticate: (authorization) => oauth.authenticate(authorization),
      onSessionRevoked: (listener) => accounts.onSessionRevoked(listener),
      replayEvents: config.STREAM_REPLAY_EVENTS,
      heartbeatSeconds: config.STREAM_HEARTBEAT_SECONDS,
      clock,
    }),
});
