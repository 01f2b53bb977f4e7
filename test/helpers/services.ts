import { Socket } from 'node:net';

/** The servers production-adapter suites run against; URLs from the environment, else the machine's. */
export const SERVICES = {
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  postgres: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  rabbitmq: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
} as const;

export type ServiceName = keyof typeof SERVICES;

/**
 * `BLUEPRINT_SERVICES=none` runs the embedded suites alone, as on a machine without these servers:
 * CI runs the suite so on a second Node line, where the servers' suites add time and prove nothing new.
 */
export const servicesIgnored = process.env.BLUEPRINT_SERVICES === 'none';

/** True in CI: a missing server fails its suites instead of skipping them. */
export const servicesRequired = !servicesIgnored && process.env.BLUEPRINT_REQUIRE_SERVICES === '1';

/** Whether something accepts TCP connections at the URL's host and port (within `timeoutMs`). */
export function answers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const u = new URL(url);
  const defaults: Record<string, number> = { 'redis:': 6379, 'postgres:': 5432, 'postgresql:': 5432, 'amqp:': 5672 };
  const port = Number(u.port || defaults[u.protocol] || 0);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, u.hostname, () => done(true));
  });
}

/**
 * Whether the suites of a service should run: yes when its server answers, and also when servers
 * are required (CI), so that a missing one fails loudly. Otherwise the suite is skipped and the
 * global setup has already said so.
 */
export async function shouldRun(service: ServiceName): Promise<boolean> {
  return servicesRequired || (await serviceAnswers(service));
}

/** Whether the service's server answers here (never when `BLUEPRINT_SERVICES=none`). */
export async function serviceAnswers(service: ServiceName): Promise<boolean> {
  return !servicesIgnored && (await answers(SERVICES[service]));
}
