/**
 * Token usage rolled up per UTC day and model in the gateway object's SQLite, fed by every finished run
 * (SessionDO → GatewayDO.runFinished). Bounded: past `maxRows` the oldest days are dropped first.
 * Costs come from the price table; a model without a price has a null cost, and so does any total that
 * includes it (`pricedCost` then holds the part that is known).
 */
import type { SqlPort } from '../scheduler/session-schema.ts';
import { costOf } from './prices.ts';

/** Default cap of (day, model) rows: a year of 50 models. */
export const USAGE_MAX_ROWS = 366 * 50;

/** Tokens and cost of one bucket. */
export interface UsageTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  runs: number;
  /** USD; null when a model in the bucket has no known price. */
  totalCost: number | null;
  /** USD of the priced part. */
  pricedCost: number;
  unpricedModels: string[];
}

type Row = Record<string, string | number | null | ArrayBuffer>;

function empty(): UsageTotals {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, runs: 0, totalCost: 0, pricedCost: 0, unpricedModels: [] };
}

function add(t: UsageTotals, model: string, input: number, output: number, runs: number): void {
  t.input += input;
  t.output += output;
  t.totalTokens += input + output;
  t.runs += runs;
  const cost = costOf(model, input, output);
  if (cost === null) {
    if (!t.unpricedModels.includes(model)) t.unpricedModels.push(model);
    t.totalCost = null;
  } else {
    t.pricedCost += cost;
    if (t.totalCost !== null) t.totalCost += cost;
  }
}

/**
 * `YYYY-MM-DD` of an epoch ms in UTC.
 * @example utcDay(0) === '1970-01-01'
 */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The rollup table. */
export class UsageStore {
  readonly #sql: SqlPort;
  readonly #maxRows: number;

  constructor(sql: SqlPort, maxRows = USAGE_MAX_ROWS) {
    this.#sql = sql;
    this.#maxRows = maxRows;
  }

  /** Creates the table (idempotent). */
  migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS usage_daily (day TEXT NOT NULL, model TEXT NOT NULL, input INTEGER NOT NULL,
      output INTEGER NOT NULL, runs INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (day, model))`);
  }

  /** Adds one run's tokens to its day and model. */
  record(model: string, input: number, output: number, at: number): void {
    this.#sql.exec(
      `INSERT INTO usage_daily (day, model, input, output, runs, updated_at) VALUES (?, ?, ?, ?, 1, ?)
       ON CONFLICT (day, model) DO UPDATE SET input = input + excluded.input, output = output + excluded.output, runs = runs + 1, updated_at = excluded.updated_at`,
      utcDay(at), model.slice(0, 200), Math.max(0, Math.floor(input)), Math.max(0, Math.floor(output)), at,
    );
    const n = Number(this.#sql.exec<Row>(`SELECT COUNT(*) AS n FROM usage_daily`).one().n);
    if (n > this.#maxRows) {
      this.#sql.exec(`DELETE FROM usage_daily WHERE rowid IN (SELECT rowid FROM usage_daily ORDER BY day, model LIMIT ?)`, n - this.#maxRows);
    }
  }

  /** Totals and per-model totals over `[fromDay, toDay]` (inclusive; both optional), plus per-day buckets. */
  summary(fromDay = '0000-00-00', toDay = '9999-99-99'): { totals: UsageTotals; byModel: (UsageTotals & { model: string })[]; daily: (UsageTotals & { date: string })[]; updatedAt: number | null } {
    const rows = this.#sql.exec<Row>(`SELECT * FROM usage_daily WHERE day >= ? AND day <= ? ORDER BY day, model`, fromDay, toDay).toArray();
    const totals = empty();
    const byModel = new Map<string, UsageTotals & { model: string }>();
    const daily = new Map<string, UsageTotals & { date: string }>();
    let updatedAt: number | null = null;
    for (const r of rows) {
      const model = String(r.model);
      const [input, output, runs] = [Number(r.input), Number(r.output), Number(r.runs)];
      add(totals, model, input, output, runs);
      const m = byModel.get(model) ?? { model, ...empty() };
      add(m, model, input, output, runs);
      byModel.set(model, m);
      const d = daily.get(String(r.day)) ?? { date: String(r.day), ...empty() };
      add(d, model, input, output, runs);
      daily.set(String(r.day), d);
      updatedAt = Math.max(updatedAt ?? 0, Number(r.updated_at));
    }
    return { totals, byModel: [...byModel.values()], daily: [...daily.values()], updatedAt };
  }
}
