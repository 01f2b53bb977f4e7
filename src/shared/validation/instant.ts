/** The earliest instant accepted from clients: 1970-01-01T00:00:00Z (epoch ms). */
export const MIN_INSTANT_MS = 0;
/** The latest: 9999-12-31T23:59:59.999Z. Later years need an expanded ISO form that response schemas (and most clients) cannot read back. */
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

// RFC 3339 date-time (a space or T between date and time, as RFC 3339 §5.6 allows), or an ISO 8601 calendar date.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2})))?$/;

/**
 * The one reading of dates that clients send, for every schema and service: an RFC 3339
 * date-time or a calendar date (midnight UTC), with a real day of a real month (no 31 April, no
 * 29 February outside leap years), between 1970 and 9999 once its offset is applied. Returns epoch
 * ms, or null for anything else (Date.parse's "tomorrow"-style guesses, expanded years, Infinity).
 */
export function parseInstant(value: string): number | null {
  if (value.length > 40) return null;
  const m = INSTANT.exec(value);
  if (m === null) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (m[4] !== undefined) {
    if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return null;
    if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return null;
  }
  // The date part is ISO already; Date.parse reads the offset and fraction (T only, and a calendar date as UTC).
  const t = Date.parse(m[4] === undefined ? value : value.replace(/[t ]/, 'T').replace(/z$/, 'Z'));
  if (!Number.isFinite(t) || t < MIN_INSTANT_MS || t > MAX_INSTANT_MS) return null;
  return t;
}

/** Whether `value` is an instant {@link parseInstant} accepts (the `date-time` format of every schema). */
export function isInstant(value: string): boolean {
  return parseInstant(value) !== null;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
