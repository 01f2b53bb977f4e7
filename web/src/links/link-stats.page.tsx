import { useCallback, useEffect, useState } from 'react';
import { BarList, TimeChart } from '../chart.js';
import { FormAlert, formError, type FormError } from '../form.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import type { Link as ShortLink } from '../shorten.page.js';

interface Stats {
  from: string;
  to: string;
  interval: 'hour' | 'day';
  total: number;
  bots: number;
  heads: number;
  series: { t: string; clicks: number }[];
  referrers: { value: string; clicks: number }[];
  browsers: { value: string; clicks: number }[];
  os: { value: string; clicks: number }[];
  devices: { value: string; clicks: number }[];
}

const RANGES = { '48h': { interval: 'hour', ms: 48 * 3_600_000 }, '30d': { interval: 'day', ms: 30 * 86_400_000 } } as const;
type Range = keyof typeof RANGES;

/** A link's analytics: clicks over time, referrers, browsers, OS and devices; bots counted apart. */
export default function LinkStatsPage({ code }: { code: string }) {
  const { call } = useSession();
  const [link, setLink] = useState<ShortLink | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [range, setRange] = useState<Range>('48h');
  const [error, setError] = useState<FormError | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);

  const load = useCallback(async () => {
    try {
      const { interval, ms } = RANGES[range];
      const to = new Date();
      const params = new URLSearchParams({ interval, from: new Date(to.getTime() - ms).toISOString(), to: to.toISOString() });
      const [l, s] = await Promise.all([call<ShortLink>('GET', `/api/v1/links/${encodeURIComponent(code)}`), call<Stats>('GET', `/api/v1/links/${encodeURIComponent(code)}/stats?${params}`)]);
      setLink(l);
      setStats(s);
      setError(null);
      setUpdatedAt(new Date());
    } catch (e) {
      setError(formError(e));
    }
  }, [call, code, range]);

  // Clicks reach the statistics within seconds (batched): refresh while the page is open.
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <section aria-labelledby="stats-title">
      <p>
        <Link href="/links">← My links</Link>
      </p>
      <h1 id="stats-title">Analytics of {link ? link.shortUrl.replace(/^https?:\/\//, '') : code}</h1>
      {link && <p className="muted target">→ {link.url}</p>}
      <FormAlert error={error} />
      <div className="row" role="group" aria-label="Range">
        {(Object.keys(RANGES) as Range[]).map((r) => (
          <button key={r} type="button" className={r === range ? '' : 'secondary'} aria-pressed={r === range} onClick={() => setRange(r)}>
            Last {r}
          </button>
        ))}
        <button type="button" className="secondary" onClick={() => void load()}>
          Refresh
        </button>
        {updatedAt && <span className="muted">updated {updatedAt.toLocaleTimeString()}</span>}
      </div>
      {stats && (
        <>
          <div className="cards">
            <div className="card">
              <h2>Clicks</h2>
              <p className="number" data-testid="total-clicks">
                {stats.total}
              </p>
            </div>
            <div className="card">
              <h2>Bots</h2>
              <p className="number">{stats.bots}</p>
              <p className="muted">counted apart, not in clicks</p>
            </div>
            <div className="card">
              <h2>HEAD requests</h2>
              <p className="number">{stats.heads}</p>
            </div>
          </div>
          <h2>Clicks per {stats.interval}</h2>
          <TimeChart
            label={`Clicks per ${stats.interval}, ${stats.total} in all`}
            times={stats.series.map((p) => Date.parse(p.t) / 1000)}
            series={[{ label: 'clicks', values: stats.series.map((p) => p.clicks) }]}
            bars
          />
          <div className="cards">
            <BarList title="Referrers" rows={stats.referrers} />
            <BarList title="Browsers" rows={stats.browsers} />
            <BarList title="Operating systems" rows={stats.os} />
            <BarList title="Devices" rows={stats.devices} />
          </div>
        </>
      )}
    </section>
  );
}
