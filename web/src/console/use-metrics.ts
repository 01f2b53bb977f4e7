import { useEffect, useRef, useState } from 'react';
import { parsePrometheus } from './prometheus.js';
import { summarize, type Snapshot } from './snapshot.js';

export type Connection =
  | { state: 'connecting' }
  | { state: 'live' }
  /** Nothing usable came back: offline, a 5xx, not Prometheus text. */
  | { state: 'lost'; detail: string }
  /** The server wants credentials for /metrics (none are needed in the default configuration). */
  | { state: 'denied'; status: number };

export interface MetricsHistory {
  /** Oldest first, at most `keepSeconds` long. Mutated in place; `version` says when it changed. */
  history: readonly Snapshot[];
  version: number;
  connection: Connection;
  /** Seconds since the epoch of the last good scrape. */
  lastScrape: number | undefined;
}

const same = (a: Connection, b: Connection) => a.state === b.state && JSON.stringify(a) === JSON.stringify(b);

/**
 * Scrapes `url` every `intervalMs` (measured from the start of one scrape to the next, a slow
 * answer is not waited for longer than `timeoutMs`) and keeps what the console shows of the last
 * `keepSeconds`, in memory only. Failures keep the history and are retried at the same pace. The
 * signed-in user's access token goes along: beyond loopback, operators (ADMIN_USERS) may read it.
 */
export function useMetricsHistory(
  url = '/metrics',
  { intervalMs = 1000, timeoutMs = 3000, keepSeconds = 300, token = (): string | null => null } = {},
): MetricsHistory {
  const history = useRef<Snapshot[]>([]);
  const [version, setVersion] = useState(0);
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });
  const [lastScrape, setLastScrape] = useState<number | undefined>(undefined);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: AbortController | undefined;
    const report = (next: Connection) => setConnection((current) => (same(current, next) ? current : next));

    const scrape = async () => {
      const started = Date.now();
      const controller = new AbortController();
      inFlight = controller;
      const deadline = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const bearer = token();
        const headers: Record<string, string> = { accept: 'text/plain;version=0.0.4', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) };
        const res = await fetch(url, { headers, cache: 'no-store', credentials: 'same-origin', signal: controller.signal });
        const text = await res.text();
        if (stopped) return;
        if (res.status === 401 || res.status === 403) report({ state: 'denied', status: res.status });
        else if (!res.ok) report({ state: 'lost', detail: `the server answered HTTP ${res.status}` });
        else {
          const exposition = parsePrometheus(text);
          if (exposition.families.size === 0) report({ state: 'lost', detail: `${url} did not answer Prometheus metrics` });
          else {
            const now = Date.now() / 1000;
            const kept = history.current;
            kept.push(summarize(exposition, now));
            while (kept.length > 0 && kept[0]!.t < now - keepSeconds) kept.shift();
            report({ state: 'live' });
            setLastScrape(now);
            setVersion((v) => v + 1);
          }
        }
      } catch {
        if (stopped) return;
        report({ state: 'lost', detail: controller.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : 'the server cannot be reached' });
      } finally {
        clearTimeout(deadline);
      }
      if (!stopped) timer = setTimeout(() => void scrape(), Math.max(0, intervalMs - (Date.now() - started)));
    };
    void scrape();
    return () => {
      stopped = true;
      clearTimeout(timer);
      inFlight?.abort();
    };
  }, [url, intervalMs, timeoutMs, keepSeconds, token]);

  return { history: history.current, version, connection, lastScrape };
}
