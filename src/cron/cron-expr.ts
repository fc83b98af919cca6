/**
 * Five-field cron expressions (`minute hour day-of-month month day-of-week`) evaluated in an IANA time
 * zone. Fields take `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, month names
 * (`jan`…`dec`) and weekday names (`sun`…`sat`; 7 is Sunday too). As in Vixie cron, when both day fields
 * are restricted a day matches if either one does.
 */

/** A parsed expression: the allowed values of each field. */
export interface CronExpr {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  namesFrom?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAYS, namesFrom: 0 },
];

/** Raised for an expression that does not parse; the message names the field. */
export class CronSyntaxError extends Error {
  override readonly name = 'CronSyntaxError';
}

function value(token: string, spec: FieldSpec): number {
  const lower = token.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (spec.namesFrom ?? 0);
  if (!/^\d{1,2}$/.test(token)) throw new CronSyntaxError(`${spec.name}: "${token}" is not a number${spec.names ? ' or name' : ''}`);
  const n = Number(token);
  if (n < spec.min || n > spec.max) throw new CronSyntaxError(`${spec.name}: ${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

function field(text: string, spec: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') throw new CronSyntaxError(`${spec.name}: "${part}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) throw new CronSyntaxError(`${spec.name}: step "${stepText}" must be 1-99`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [spec.min, spec.max];
    else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || !a || !b) throw new CronSyntaxError(`${spec.name}: range "${range}" is malformed`);
      [lo, hi] = [value(a, spec), value(b, spec)];
      if (lo > hi) throw new CronSyntaxError(`${spec.name}: range "${range}" runs backwards`);
    } else {
      lo = value(range, spec);
      hi = stepText !== undefined ? spec.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/**
 * Parses a five-field expression; throws CronSyntaxError naming the bad field.
 * @example parseCron('*\/15 9-17 * * mon-fri').hours.has(9) === true
 */
export function parseCron(expr: string): CronExpr {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronSyntaxError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => field(p, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (weekdays.delete(7)) weekdays.add(0);
  return { minutes, hours, days, months, weekdays, daysRestricted: parts[2] !== '*', weekdaysRestricted: parts[4] !== '*' };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for an unknown time zone. */
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    if (formatters.size > 64) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` is an IANA zone this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

function wall(ms: number, tz: string): Wall {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf((parts.weekday ?? '').slice(0, 3).toLowerCase()),
  };
}

function dayMatches(e: CronExpr, w: Wall): boolean {
  const dom = e.days.has(w.day);
  const dow = e.weekdays.has(w.weekday);
  if (e.daysRestricted && e.weekdaysRestricted) return dom || dow;
  return dom && dow;
}

const MINUTE = 60_000;

/**
 * The first minute strictly after `afterMs` that matches, as epoch ms, or null if none within ~5 years
 * (e.g. `0 0 30 2 *`). Jumps a day or an hour at a time where it can, so it stays cheap.
 * @example nextCronTime(parseCron('0 9 * * *'), Date.UTC(2026, 0, 1, 10), 'UTC') === Date.UTC(2026, 0, 2, 9)
 */
export function nextCronTime(e: CronExpr, afterMs: number, tz = 'UTC'): number | null {
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (t <= limit) {
    const w = wall(t, tz);
    if (!e.months.has(w.month) || !dayMatches(e, w)) {
      t += (1440 - (w.hour * 60 + w.minute)) * MINUTE; // next local midnight (approximately, across DST)
      continue;
    }
    if (!e.hours.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
      continue;
    }
    if (!e.minutes.has(w.minute)) {
      let m = w.minute + 1;
      while (m < 60 && !e.minutes.has(m)) m++;
      t += (m - w.minute) * MINUTE;
      continue;
    }
    return t;
  }
  return null;
}
