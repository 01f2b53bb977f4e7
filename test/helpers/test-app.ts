import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { Clock } from '../../src/platform/clock/index.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startRuntime, type Runtime } from '../../src/runtime.js';

export interface TestApp {
  runtime: Runtime;
  config: Config;
  dataDir: string;
  /** Stops the runtime; removes the data directory unless `keepData`. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** A fresh data directory for a test. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'blueprint-test-'));
}

/**
 * Starts the real runtime on a temporary data directory, quiet, with consumers inline, fast
 * flushes and no rate limits unless the test says otherwise.
 */
export async function startTestApp(env: Record<string, string> = {}, options: { dataDir?: string; clock?: Clock; spanExporter?: SpanExporter } = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? tempDataDir();
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ANALYTICS_WORKER: 'inline',
    CLICKS_FLUSH_INTERVAL_MS: '20',
    QUEUE_POLL_INTERVAL_MS: '10',
    SQLITE_SYNCHRONOUS: 'normal',
    PUBLIC_URL: 'http://sho.rt',
    // Tests hammer the API from one address; the rate-limit tests turn policies on themselves.
    RATE_LIMIT_GLOBAL: 'off',
    RATE_LIMIT_CREATE: 'off',
    RATE_LIMIT_PROBE: 'off',
    ...env,
  });
  const runtime = await startRuntime(config, { ...(options.clock ? { clock: options.clock } : {}), ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}) });
  return {
    runtime,
    config,
    dataDir,
    async close({ keepData = false } = {}) {
      await runtime.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { waitFor } from './poll.js';

export const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
export const PHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
export const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
