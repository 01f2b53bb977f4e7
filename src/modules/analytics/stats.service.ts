import type { Clock } from '../../platform/clock/index.js';
import { ValidationError } from '../../shared/errors/index.js';
import { parseInstant } from '../../shared/validation/index.js';
import { DAY_MS, HOUR_MS, type AnalyticsRepository, type CountRow } from './analytics.repository.js';

export type Interval = 'hour' | 'day';

export interface StatsQuery {
  from?: string | undefined;
  to?: string | undefined;
  interval: Interval;
}

export interface Stats {
  code: string;
  from: string;
  to: string;
  interval: Interval;
  /** Human clicks (GET, not bots) in the range. */
  total: number;
  bots: number;
  heads: number;
  series: { t: string; clicks: number }[];
  referrers: CountRow[];
  browsers: CountRow[];
  os: CountRow[];
  devices: CountRow[];
}

const MAX_POINTS = 2_000;
const TOP = 20;
const DEFAULT_SPAN: Record<Interval, number> = { hour: 2 * DAY_MS, day: 30 * DAY_MS };

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const t = parseInstant(value);
  if (t === null) throw new ValidationError(`${field} is not an ISO 8601 date-time of years 1970-9999`, [{ field: `/${field}`, message: 'not a date-time' }], 'range_invalid');
  return t;
}

/** Statistics of a link from the rollups (never from raw clicks). */
export class StatsService {
  readonly #repository: AnalyticsRepository;
  readonly #clock: Clock;

  constructor(repository: AnalyticsRepository, clock: Clock) {
    this.#repository = repository;
    this.#clock = clock;
  }

  async stats(code: string, query: StatsQuery): Promise<Stats> {
    const step = query.interval === 'hour' ? HOUR_MS : DAY_MS;
    const toRaw = parseTime(query.to, 'to') ?? this.#clock.now();
    // Buckets are whole hours or days (UTC): the range is widened to them.
    const to = Math.ceil((toRaw + 1) / step) * step;
    const fromRaw = parseTime(query.from, 'from') ?? to - DEFAULT_SPAN[query.interval];
    const from = Math.floor(fromRaw / step) * step;
    if (from >= to) throw new ValidationError('from must be before to', [{ field: '/from', message: 'after to' }], 'range_invalid');
    if ((to - from) / step > MAX_POINTS) {
      throw new ValidationError(`At most ${MAX_POINTS} points per answer: narrow the range or use interval=day`, [{ field: '/from', message: 'range too large' }], 'range_too_large');
    }
    const repo = this.#repository;
    const [hours, referrers, browsers, os, devices] = await Promise.all([
      repo.hourly(code, from, to),
      repo.topValues(code, 'referrer', from, to, TOP),
      repo.topValues(code, 'browser', from, to, TOP),
      repo.topValues(code, 'os', from, to, TOP),
      repo.topValues(code, 'device', from, to, TOP),
    ]);

    const buckets = new Map<number, number>();
    let total = 0;
    let bots = 0;
    let heads = 0;
    for (const h of hours) {
      const b = h.hour - (h.hour % step);
      buckets.set(b, (buckets.get(b) ?? 0) + h.clicks);
      total += h.clicks;
      bots += h.bots;
      heads += h.heads;
    }
    const series: Stats['series'] = [];
    for (let t = from; t < to; t += step) series.push({ t: new Date(t).toISOString(), clicks: buckets.get(t) ?? 0 });
    return {
      code,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      interval: query.interval,
      total,
      bots,
      heads,
      series,
      referrers,
      browsers,
      os,
      devices,
    };
  }
}
