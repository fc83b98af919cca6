/**
 * Server-side wizard sessions for the `wizard.*` methods: a bounded map with an idle TTL. Sessions live in
 * the memory of the process (Node) or isolate (Workers) that serves the gateway; a restart forgets them,
 * which only means the operator starts the wizard again (nothing is written before the last step).
 */
import type { SetupAnswers } from './steps.ts';

/** Caps and timing. */
export interface WizardLimits {
  /** Sessions kept at once (running and finished); a start beyond it is refused while all are running. */
  maxSessions: number;
  /** A session untouched this long is forgotten. */
  ttlMs: number;
}

/** Defaults: a handful of operators at once, 15 minutes to answer. */
export const WIZARD_LIMITS: WizardLimits = { maxSessions: 8, ttlMs: 15 * 60_000 };

/** One wizard run. */
export interface WizardSession {
  id: string;
  status: 'running' | 'applying' | 'done' | 'cancelled' | 'error';
  answers: SetupAnswers;
  createdAt: number;
  touchedAt: number;
  error?: string;
  result?: Record<string, unknown>;
}

/** The bounded session table. */
export class WizardSessions {
  readonly #limits: WizardLimits;
  readonly #sessions = new Map<string, WizardSession>();

  constructor(limits: WizardLimits = WIZARD_LIMITS) {
    this.#limits = limits;
  }

  /** Sessions currently held (after forgetting expired ones). */
  size(now: number): number {
    this.#sweep(now);
    return this.#sessions.size;
  }

  /**
   * A new running session, or null when the table is full of running sessions (finished ones are
   * dropped first, oldest first, to make room).
   */
  create(now: number): WizardSession | null {
    this.#sweep(now);
    if (this.#sessions.size >= this.#limits.maxSessions) {
      const finished = [...this.#sessions.values()].filter((s) => s.status !== 'running' && s.status !== 'applying').sort((a, b) => a.touchedAt - b.touchedAt)[0];
      if (!finished) return null;
      this.#sessions.delete(finished.id);
    }
    const session: WizardSession = { id: crypto.randomUUID(), status: 'running', answers: {}, createdAt: now, touchedAt: now };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The session (touching it), or null when unknown or expired. */
  get(id: string, now: number): WizardSession | null {
    this.#sweep(now);
    const s = this.#sessions.get(id) ?? null;
    if (s) s.touchedAt = now;
    return s;
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (now - s.touchedAt >= this.#limits.ttlMs && s.status !== 'applying') this.#sessions.delete(id);
  }
}
