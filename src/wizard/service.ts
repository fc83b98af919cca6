/**
 * The `wizard.*` state machine, run inside the gateway object (GatewayDO) over its durable session table, so
 * every transport (WebSocket, `POST /rpc`, another isolate) sees the same session. Nothing is written until
 * the last step is confirmed; then the host applies the patch (`env.SETUP`: Node writes the config file and
 * its secret store) or, on Workers, stores provider keys in D1's `secrets` table and hands back the rest
 * once, as what to set with wrangler.
 */
import type { Env } from '../env.ts';
import { GatewayError, unavailable } from '../errors.ts';
import { answerStep, buildSetup, describeStep, nextStepId, redactAnswers, WizardAnswerError, type StepId } from './steps.ts';
import { WizardSessions, type WizardSession } from './sessions.ts';
import { storeProviderKey } from '../providers/stored-keys.ts';
import { normalizeProviderId } from '../providers/aliases.ts';

/** What every wizard call answers: where the session stands and, while running, the step to answer. */
export type WizardView = Record<string, unknown> & { sessionId: string; status: WizardSession['status']; done: boolean };

/** One answer to a step. */
export interface WizardAnswer {
  stepId: StepId;
  value: string | boolean;
}

function notFound(id: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `wizard session not found or expired: ${id}`, { details: { code: 'WIZARD_NOT_FOUND' } });
}

function view(s: WizardSession): WizardView {
  const next = s.status === 'running' ? nextStepId(s.answers) : null;
  return {
    sessionId: s.id,
    status: s.status,
    done: s.status !== 'running' && s.status !== 'applying',
    ...(next ? { step: describeStep(next, s.answers) } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.result ? { result: s.result } : {}),
  };
}

/** Env-var form of the patch for a host that cannot write a config file (Workers): what to set with wrangler. */
function workersVars(patch: Record<string, unknown>, gatewayToken: string | null) {
  const vars: Record<string, string> = {};
  const secrets: string[] = [];
  if (patch.models) vars.EDGECLAW_MODELS_JSON = JSON.stringify(patch.models);
  if (patch.channels) {
    vars.EDGECLAW_TELEGRAM = JSON.stringify((patch.channels as { telegram: unknown }).telegram);
    secrets.push('EDGECLAW_TELEGRAM');
  }
  if (patch.defender) vars.EDGECLAW_DEFENDER_PROFILE = (patch.defender as { profile: string }).profile;
  if (gatewayToken) secrets.push('EDGECLAW_GATEWAY_TOKEN');
  if (JSON.stringify(patch.models ?? {}).includes('"apiKey"')) secrets.push('EDGECLAW_MODELS_JSON');
  return { vars, secrets };
}

/** The stored copy of a result: the one-time token and secret values are handed out once, never kept. */
function storedResult(result: Record<string, unknown>): Record<string, unknown> {
  const { gatewayToken: _once, ...rest } = result;
  const secrets = Array.isArray(rest.secrets) ? (rest.secrets as string[]) : [];
  if (rest.vars && typeof rest.vars === 'object') {
    rest.vars = Object.fromEntries(Object.entries(rest.vars as Record<string, string>).map(([k, v]) => [k, secrets.includes(k) ? '<redacted: shown once>' : v]));
  }
  return rest;
}

/**
 * The wizard of one gateway object.
 * @example const wizard = new WizardService(env, new WizardSessions(ctx.storage.sql)); await wizard.start(Date.now());
 */
export class WizardService {
  readonly #env: Env;
  readonly #sessions: WizardSessions;

  constructor(env: Env, sessions: WizardSessions) {
    this.#env = env;
    this.#sessions = sessions;
  }

  #session(id: string, now: number): WizardSession {
    const s = this.#sessions.get(id, now);
    if (!s) throw notFound(id);
    return s;
  }

  /** Opens a session and returns its first step; retryable UNAVAILABLE when the table is full of running ones. */
  async start(now: number): Promise<WizardView> {
    const s = this.#sessions.create(now);
    if (!s) throw unavailable('too many setup wizards are running; finish or cancel one (they expire after 15 minutes idle)', 60_000);
    return view(s);
  }

  /** Answers the current step (or, without `answer`, repeats it) and returns the next one. */
  async next(id: string, answer: WizardAnswer | undefined, now: number): Promise<WizardView> {
    const s = this.#session(id, now);
    if (s.status !== 'running') throw new GatewayError('INVALID_REQUEST', `wizard session is ${s.status}`, { details: { code: 'WIZARD_NOT_RUNNING', status: s.status } });
    if (!answer) return view(s);
    const current = nextStepId(s.answers);
    if (answer.stepId !== current) throw new GatewayError('INVALID_REQUEST', `answer.stepId: expected "${current}", got "${answer.stepId}"`, { details: { code: 'WIZARD_STEP_MISMATCH', expected: current } });
    try {
      s.answers = answerStep(s.answers, answer.stepId, answer.value);
    } catch (err) {
      if (err instanceof WizardAnswerError) throw new GatewayError('INVALID_REQUEST', `answer.value (${err.step}): ${err.message}`, { details: { code: 'WIZARD_INVALID_ANSWER', stepId: err.step } });
      throw err;
    }
    if (nextStepId(s.answers) !== null) {
      this.#sessions.save(s);
      return view(s);
    }
    return this.#finish(s);
  }

  /** Ends a running session without writing anything. */
  async cancel(id: string, now: number): Promise<WizardView> {
    const s = this.#session(id, now);
    if (s.status === 'running') {
      s.status = 'cancelled';
      s.answers = redactAnswers(s.answers) as typeof s.answers;
      this.#sessions.save(s);
    }
    return view(s);
  }

  /** Where a session stands, with its answers so far (secrets redacted; never the one-time token). */
  async status(id: string, now: number): Promise<WizardView> {
    const s = this.#session(id, now);
    return { ...view(s), answers: redactAnswers(s.answers) };
  }

  /** Moves each provider's `apiKey` out of `patch` into D1 (`provider-api-key:<id>`); returns the row names stored. */
  async #storeProviderKeys(patch: Record<string, unknown>): Promise<string[]> {
    const stored: string[] = [];
    const providers = (patch.models as { providers?: Record<string, Record<string, unknown>> } | undefined)?.providers ?? {};
    for (const [id, entry] of Object.entries(providers)) {
      if (typeof entry.apiKey !== 'string') continue;
      try {
        await storeProviderKey(this.#env.DB, id, entry.apiKey, 'wizard');
      } catch {
        continue; // not storable here (size, cap, no table): it stays in the vars to set with wrangler
      }
      delete entry.apiKey;
      stored.push(`provider-api-key:${normalizeProviderId(id)}`);
    }
    return stored;
  }

  async #finish(s: WizardSession): Promise<WizardView> {
    if (s.answers.confirm === false) {
      s.status = 'cancelled';
      s.answers = redactAnswers(s.answers) as typeof s.answers;
      this.#sessions.save(s);
      return view(s);
    }
    // `applying` is stored first: a second call while the host writes sees it and cannot apply twice.
    s.status = 'applying';
    this.#sessions.save(s);
    let result: Record<string, unknown> | undefined;
    try {
      const { patch, gatewayToken } = await buildSetup(s.answers);
      const token = gatewayToken ? { gatewayToken } : {};
      if (this.#env.SETUP) {
        const applied = await this.#env.SETUP.apply(patch);
        result = { applied: true, ...applied, restartRequired: true, ...token };
      } else {
        // Provider keys go to the registry's secrets table (D1), which every run reads; the rest of the patch
        // (and any key the table refuses) comes back once, as what to set with wrangler.
        const secretsStored = await this.#storeProviderKeys(patch);
        result = { applied: false, reason: 'this host has no writable config file (Workers): set these with `wrangler secret put` / [vars]', ...workersVars(patch, gatewayToken), ...(secretsStored.length ? { secretsStored } : {}), ...token };
      }
      s.status = 'done';
    } catch (err) {
      s.status = 'error';
      s.error = err instanceof Error ? err.message : String(err);
    }
    // Secrets typed into the wizard are not kept once it is over.
    s.answers = redactAnswers(s.answers) as typeof s.answers;
    if (result) s.result = storedResult(result);
    this.#sessions.save(s);
    return view(result ? { ...s, result } : s);
  }
}
