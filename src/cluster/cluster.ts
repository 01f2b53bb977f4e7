import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClusterProcess } from './cluster-process.js';

export interface ClusterOptions {
  /** Port of the gateway; the API processes take the next ones, the workers' health ports follow (0: ephemeral for all). */
  basePort: number;
  apis: number;
  workers: number;
  /** Shared by every process: DATABASE_URL, REDIS_URL, AMQP_URL... */
  env: Record<string, string>;
  /** Every process's DATA_DIR (generated secrets are shared through it); logs go to `<dataDir>/logs`. */
  dataDir: string;
  /** Extra environment for the gateway only (GATEWAY_POLICY...). */
  gatewayEnv?: Record<string, string>;
  /** Start crashed processes again, with a growing delay (default true). */
  restart?: boolean;
}

/** The machine's own servers, as docs/scaled-topology.md names them. */
export const LOCAL_SERVICES = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
};

/** A status line of one process, as the `cluster` command prints it. */
export interface ProcessStatus {
  name: string;
  role: string;
  pid: number | undefined;
  address: string | undefined;
  state: string;
  uptimeSeconds: number;
  restarts: number;
  ready: boolean | undefined;
  /** Requests answered since the previous status (from its /metrics). */
  requests: number | undefined;
  lastExit: string | undefined;
}

/**
 * A local deployment of the scaled topology: N API processes, M workers and a gateway in front of
 * the APIs, each a separate `server` process on the machine's PostgreSQL, Redis and RabbitMQ.
 * The first API process migrates the schema and creates the shared secrets under DATA_DIR; the
 * others start after it.
 */
export class Cluster {
  readonly processes: ClusterProcess[] = [];
  readonly #options: ClusterOptions;
  readonly #requests = new Map<string, number>();
  #stopping = false;

  private constructor(options: ClusterOptions) {
    this.#options = options;
  }

  static async start(options: ClusterOptions, onProgress: (line: string) => void = () => {}): Promise<Cluster> {
    const cluster = new Cluster(options);
    try {
      await cluster.#start(onProgress);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get gateway(): ClusterProcess {
    return this.processes.find((p) => p.role === 'gateway')!;
  }

  get apis(): ClusterProcess[] {
    return this.processes.filter((p) => p.role === 'api');
  }

  /** Starts one more API process (scaling out): it announces itself, and the gateway adds it. */
  async addApi(): Promise<ClusterProcess> {
    const template = this.apis[0]!;
    const n = this.apis.length + 1;
    const p = new ClusterProcess(`api-${n}`, 'api', { ...template.env, PORT: '0', WORKER_ID: String(n) }, template.logFile?.replace(/api-1\.log$/, `api-${n}.log`));
    this.processes.push(p);
    p.env.PORT = new URL(await p.start()).port;
    this.#supervise(p);
    return p;
  }

  async #start(onProgress: (line: string) => void): Promise<void> {
    const { basePort, apis, workers, env } = this.#options;
    const dataDir = resolve(this.#options.dataDir);
    const logDir = join(dataDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const port = (offset: number) => String(basePort === 0 ? 0 : basePort + offset);
    // The gateway owns the public address: short links point at it.
    const publicUrl = env.PUBLIC_URL ?? (basePort === 0 ? undefined : `http://localhost:${basePort}`);
    const common = { LOG_LEVEL: 'info', ACCESS_LOG: 'errors', ...env, ...(publicUrl === undefined ? {} : { PUBLIC_URL: publicUrl }), DATA_DIR: dataDir };
    const make = (name: string, role: string, own: Record<string, string>) => {
      const p = new ClusterProcess(name, role, { ...common, ROLES: role, ...own }, join(logDir, `${name}.log`));
      this.processes.push(p);
      return p;
    };
    // The gateway applies the global limit per client; the APIs see clients through X-Forwarded-For.
    const apiEnv = (i: number) => ({ PORT: port(i), WORKER_ID: String(i), TRUST_PROXY: '127.0.0.1,::1', RATE_LIMIT_GLOBAL: 'off' });
    const apiProcesses = Array.from({ length: apis }, (_, i) => make(`api-${i + 1}`, 'api', apiEnv(i + 1)));
    const workerProcesses = Array.from({ length: workers }, (_, i) => make(`worker-${i + 1}`, 'worker', { PORT: port(apis + 1 + i), WORKER_ID: String(100 + i) }));
    const launch = async (p: ClusterProcess) => {
      const address = await p.start();
      // A restart takes the same port: the gateway's pool names it.
      p.env.PORT = new URL(address).port;
      onProgress(`${p.name} listening on ${address} (pid ${p.pid})`);
      this.#supervise(p);
    };
    // The first API migrates and writes the shared secrets; the rest start together after it.
    await launch(apiProcesses[0]!);
    await Promise.all([...apiProcesses.slice(1), ...workerProcesses].map(launch));
    const upstreams = apiProcesses.map((p) => new URL(p.address!).host).join(',');
    // The gateway follows the registry the APIs announce themselves in; the list is its fallback.
    const gateway = make('gateway', 'gateway', { PORT: port(0), GATEWAY_DISCOVERY: 'registry', GATEWAY_UPSTREAMS: upstreams, ...this.#options.gatewayEnv });
    await launch(gateway);
  }

  /** Restarts a process that exits unexpectedly, waiting longer after each crash (1 s, 2 s... 30 s). */
  #supervise(p: ClusterProcess): void {
    if (this.#options.restart === false) return;
    void p.exited().then(async () => {
      if (this.#stopping || p.state !== 'exited' || p.lastExit === 'SIGTERM') return;
      p.restarts++;
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1_000 * 2 ** Math.min(p.restarts - 1, 5))));
      if (this.#stopping) return;
      try {
        await p.start();
        this.#supervise(p);
      } catch {
        this.#supervise(p);
      }
    });
  }

  /** One status per process: state, readiness and requests since the last call (from its /metrics). */
  async status(): Promise<ProcessStatus[]> {
    return Promise.all(
      this.processes.map(async (p) => {
        let ready: boolean | undefined;
        let requests: number | undefined;
        if (p.state === 'up' && p.address !== undefined) {
          const signal = AbortSignal.timeout(1_000);
          ready = await fetch(`${p.address}/readyz`, { signal }).then((r) => r.ok, () => false);
          const total = await fetch(`${p.address}/metrics`, { signal })
            .then((r) => r.text())
            .then(sumRequests, () => undefined);
          if (total !== undefined) {
            requests = total - (this.#requests.get(p.name) ?? total);
            this.#requests.set(p.name, total);
          }
        }
        return {
          name: p.name,
          role: p.role,
          pid: p.pid,
          address: p.address,
          state: p.state,
          uptimeSeconds: p.state === 'up' ? Math.round((Date.now() - p.startedAt) / 1000) : 0,
          restarts: p.restarts,
          ready,
          requests,
          lastExit: p.lastExit,
        };
      }),
    );
  }

  /** Graceful stop: the gateway first, then the APIs, then the workers. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const order = ['gateway', 'api', 'worker'];
    for (const role of order) await Promise.all(this.processes.filter((p) => p.role === role).map((p) => p.kill('SIGTERM')));
    for (const p of this.processes) p.closeLog();
  }
}

/** Total of `http_requests_total` in a Prometheus text exposition, health checks and scrapes left out. */
export function sumRequests(text: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_requests_total') || /route="\/(healthz|readyz|metrics)"/.test(line)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}

/** One readable line per process, for the `cluster` command. */
export function formatStatus(statuses: readonly ProcessStatus[], intervalSeconds: number): string {
  return statuses
    .map((s) => {
      const health = s.state !== 'up' ? s.state + (s.lastExit ? ` (${s.lastExit})` : '') : s.ready ? 'ready' : 'NOT READY';
      const rate = s.requests === undefined ? '-' : `${Math.round(s.requests / intervalSeconds)}`;
      return `${s.name.padEnd(10)} ${String(s.pid ?? '-').padStart(7)}  ${(s.address ?? '-').padEnd(24)} ${health.padEnd(18)} up ${String(s.uptimeSeconds).padStart(5)} s  ${rate.padStart(6)} req/s  restarts ${s.restarts}`;
    })
    .join('\n');
}
