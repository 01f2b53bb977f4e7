import { parseArgs } from 'node:util';
import { Cluster, formatStatus, LOCAL_SERVICES } from './cluster.js';

const STATUS_SECONDS = 2;

/**
 * `blueprint cluster`: gateway + API processes + workers on the machine's PostgreSQL, Redis and
 * RabbitMQ, a status line per process every few seconds, crashed processes restarted, everything
 * stopped gracefully on Ctrl-C.
 */
export async function runCluster(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { apis: { type: 'string', default: '2' }, workers: { type: 'string', default: '1' }, port: { type: 'string' } } });
  const apis = Number(values.apis);
  const workers = Number(values.workers);
  const basePort = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(apis) || apis < 1 || apis > 16 || !Number.isInteger(workers) || workers < 0 || workers > 16) {
    process.stderr.write('--apis must be 1..16 and --workers 0..16\n');
    return 2;
  }
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + apis + workers > 65535) {
    process.stderr.write('--port (or PORT) must be a free port with the next ones free too\n');
    return 2;
  }
  const env: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(LOCAL_SERVICES)) env[name] = process.env[name] ?? fallback;
  const dataDir = process.env.DATA_DIR ?? './data/cluster';
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`starting ${apis} API, ${workers} worker(s) and a gateway on ${env.DATABASE_URL}, ${env.REDIS_URL}, ${env.AMQP_URL!.replace(/\/\/[^@]*@/, '//')}`);
  say(`logs: ${dataDir}/logs/<process>.log`);
  const cluster = await Cluster.start({ basePort, apis, workers, env, dataDir }, say);
  say(`ready: ${cluster.gateway.address} (the gateway); Ctrl-C stops everything`);
  const timer = setInterval(() => {
    void cluster.status().then((statuses) => say(`-- ${new Date().toISOString()}\n${formatStatus(statuses, STATUS_SECONDS)}`));
  }, STATUS_SECONDS * 1000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(timer);
  say('stopping: gateway, then APIs, then workers');
  await cluster.stop();
  return 0;
}
