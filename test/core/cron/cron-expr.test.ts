// The five-field cron parser and next-time search, including time zones, DST and day-field OR rules.
import { describe, expect, it } from 'vitest';
import { CronSyntaxError, nextCronTime, parseCron } from '../../../src/cron/cron-expr.ts';
import { nextRunAt, ScheduleSchema } from '../../../src/cron/schedule.ts';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

describe('parseCron', () => {
  it('expands lists, ranges, steps and names', () => {
    const e = parseCron('*/15 9-17/4 1,15 jan-mar mon-fri');
    expect([...e.minutes]).toEqual([0, 15, 30, 45]);
    expect([...e.hours]).toEqual([9, 13, 17]);
    expect([...e.days]).toEqual([1, 15]);
    expect([...e.months]).toEqual([1, 2, 3]);
    expect([...e.weekdays]).toEqual([1, 2, 3, 4, 5]);
  });

  it('treats 7 as Sunday', () => {
    expect([...parseCron('0 0 * * 7').weekdays]).toEqual([0]);
  });

  it.each([
    ['* * * *', /expected 5 fields/],
    ['60 * * * *', /minute: 60 is outside 0-59/],
    ['* 24 * * *', /hour: 24 is outside 0-23/],
    ['* * 0 * *', /day-of-month: 0 is outside 1-31/],
    ['* * * foo *', /month: "foo" is not a number or name/],
    ['*/0 * * * *', /minute: step "0" must be 1-99/],
    ['5-1 * * * *', /minute: range "5-1" runs backwards/],
    ['1,,2 * * * *', /minute: "" is malformed/],
  ])('rejects %s naming the field', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(CronSyntaxError);
    expect(() => parseCron(expr)).toThrow(message);
  });
});

describe('nextCronTime', () => {
  it('finds the next matching minute strictly after the given time', () => {
    const e = parseCron('30 9 * * *');
    expect(nextCronTime(e, utc(2026, 1, 1, 9, 29))).toBe(utc(2026, 1, 1, 9, 30));
    expect(nextCronTime(e, utc(2026, 1, 1, 9, 30))).toBe(utc(2026, 1, 2, 9, 30));
  });

  it('rolls over months and years', () => {
    expect(nextCronTime(parseCron('0 0 1 1 *'), utc(2026, 3, 5))).toBe(utc(2027, 1, 1));
    expect(nextCronTime(parseCron('0 12 31 * *'), utc(2026, 4, 1))).toBe(utc(2026, 5, 31, 12));
  });

  it('matches either day field when both are restricted (Vixie cron)', () => {
    // 2026-03-02 is a Monday; the 13th is a Friday.
    const e = parseCron('0 8 13 * mon');
    expect(nextCronTime(e, utc(2026, 3, 1))).toBe(utc(2026, 3, 2, 8));
    expect(nextCronTime(e, utc(2026, 3, 12, 9))).toBe(utc(2026, 3, 13, 8));
  });

  it('evaluates wall-clock time in the given zone, across a DST change', () => {
    const e = parseCron('0 9 * * *');
    // New York: EST (UTC-5) until 2026-03-08, EDT (UTC-4) after.
    expect(nextCronTime(e, utc(2026, 3, 7, 0), 'America/New_York')).toBe(utc(2026, 3, 7, 14));
    expect(nextCronTime(e, utc(2026, 3, 8, 0), 'America/New_York')).toBe(utc(2026, 3, 8, 13));
    expect(nextCronTime(e, utc(2026, 6, 1, 0), 'Asia/Kolkata')).toBe(utc(2026, 6, 1, 3, 30));
  });

  it('returns null for a date that never exists', () => {
    expect(nextCronTime(parseCron('0 0 30 2 *'), utc(2026, 1, 1))).toBeNull();
  });
});

describe('schedules', () => {
  it('computes every-intervals from the anchor and skips missed ones', () => {
    const s = ScheduleSchema.parse({ kind: 'every', everyMs: 60_000, anchorMs: 1_000 });
    expect(nextRunAt(s, 0, 0)).toBe(1_000);
    expect(nextRunAt(s, 0, 1_000)).toBe(61_000);
    expect(nextRunAt(s, 0, 10 * 60_000 + 5)).toBe(10 * 60_000 + 1_000);
  });

  it('fires a one-shot once and then has nothing left', () => {
    const s = ScheduleSchema.parse({ kind: 'at', at: '2026-05-01T10:00:00Z' });
    expect(nextRunAt(s, 0, utc(2026, 4, 1))).toBe(utc(2026, 5, 1, 10));
    expect(nextRunAt(s, 0, utc(2026, 5, 1, 10))).toBeNull();
  });

  it('rejects bad expressions, unknown zones and too-short intervals with the field path', () => {
    const issues = (v: unknown) => ScheduleSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ kind: 'cron', expr: '61 * * * *' })).toEqual(['expr: invalid cron expression: minute: 61 is outside 0-59']);
    expect(issues({ kind: 'cron', expr: '0 * * * *', tz: 'Mars/Olympus' })).toEqual(['tz: unknown time zone']);
    expect(issues({ kind: 'every', everyMs: 10 })?.[0]).toMatch(/^everyMs: /);
  });
});
