import { connect, createServer, type Socket } from 'node:net';

/** A loopback TCP relay to a real server, whose link can be cut and healed: a network fault, not a mock. */
export interface TcpProxy {
  /** The port it listens on, at 127.0.0.1. */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Drops every relayed connection and refuses new ones (accepts, then closes them) until `heal`. */
  cut(): void;
  /** Relays new connections again. */
  heal(): void;
  close(): Promise<void>;
}

/** Starts a relay to the host and port of `targetUrl`. */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 6379);
  const live = new Set<Socket>();
  let up = true;
  const server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, target.hostname);
    const pair = [client, upstream];
    const drop = () => {
      for (const s of pair) {
        s.destroy();
        live.delete(s);
      }
    };
    for (const s of pair) {
      live.add(s);
      s.on('error', drop);
      s.on('close', drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const cut = () => {
    up = false;
    for (const s of [...live]) s.destroy();
    live.clear();
  };
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    heal() {
      up = true;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
