/**
 * `wizard.start|next|cancel|status` (admin): the setup wizard of `edgeclaw setup` as a server-side state
 * machine over the same steps (src/wizard/steps.ts). Nothing is written until the last step is confirmed;
 * then the host applies the config patch (Node: the config file) and a restart picks it up.
 */
import { z } from 'zod';
import { GatewayError, unavailable } from '../../errors.ts';
import { answerStep, buildSetup, describeStep, nextStepId, redactAnswers, STEP_IDS, WizardAnswerError } from '../../wizard/steps.ts';
import { WizardSessions, type WizardSession } from '../../wizard/sessions.ts';
import { defineMethod, type MethodContext } from '../registry.ts';

/** The sessions of this process/isolate (bounded, idle TTL). */
export const WIZARDS = new WizardSessions();

const SessionId = z.string().min(1).max(64);

function notFound(id: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `wizard session not found or expired: ${id}`, { details: { code: 'WIZARD_NOT_FOUND' } });
}

function sessionOf(ctx: MethodContext, id: string): WizardSession {
  const s = WIZARDS.get(id, ctx.now);
  if (!s) throw notFound(id);
  return s;
}

/** What every wizard method answers: where the session stands and, while running, the step to answer. */
function view(s: WizardSession) {
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

async function finish(ctx: MethodContext, s: WizardSession): Promise<void> {
  if (s.answers.confirm === false) {
    s.status = 'cancelled';
    return;
  }
  s.status = 'applying';
  try {
    const { patch, gatewayToken } = await buildSetup(s.answers);
    const token = gatewayToken ? { gatewayToken } : {};
    if (ctx.env.SETUP) {
      const { file } = await ctx.env.SETUP.apply(patch);
      s.result = { applied: true, file, restartRequired: true, ...token };
    } else {
      // The patch carries secrets the operator just typed; they get them back once, as wrangler commands.
      s.result = { applied: false, reason: 'this host has no writable config file (Workers): set these with `wrangler secret put` / [vars]', ...workersVars(patch, gatewayToken), ...token };
    }
    s.status = 'done';
  } catch (err) {
    s.status = 'error';
    s.error = err instanceof Error ? err.message : String(err);
  }
}

/** `wizard.start`: opens a session and returns its first step. */
export const wizardStart = defineMethod({
  name: 'wizard.start',
  scope: 'operator.admin',
  params: z.strictObject({ mode: z.enum(['local', 'remote']).optional() }),
  async handler(ctx) {
    const s = WIZARDS.create(ctx.now);
    if (!s) throw unavailable('too many setup wizards are running; finish or cancel one (they expire after 15 minutes idle)', 60_000);
    return view(s);
  },
});

/** `wizard.next`: answers the current step (or, without `answer`, repeats it) and returns the next one. */
export const wizardNext = defineMethod({
  name: 'wizard.next',
  scope: 'operator.admin',
  params: z.strictObject({
    sessionId: SessionId,
    answer: z.strictObject({ stepId: z.enum(STEP_IDS), value: z.union([z.string().max(8192), z.boolean()]) }).optional(),
  }),
  async handler(ctx, p) {
    const s = sessionOf(ctx, p.sessionId);
    if (s.status !== 'running') throw new GatewayError('INVALID_REQUEST', `wizard session is ${s.status}`, { details: { code: 'WIZARD_NOT_RUNNING', status: s.status } });
    if (!p.answer) return view(s);
    const current = nextStepId(s.answers);
    if (p.answer.stepId !== current) throw new GatewayError('INVALID_REQUEST', `answer.stepId: expected "${current}", got "${p.answer.stepId}"`, { details: { code: 'WIZARD_STEP_MISMATCH', expected: current } });
    try {
      s.answers = answerStep(s.answers, p.answer.stepId, p.answer.value);
    } catch (err) {
      if (err instanceof WizardAnswerError) throw new GatewayError('INVALID_REQUEST', `answer.value (${err.step}): ${err.message}`, { details: { code: 'WIZARD_INVALID_ANSWER', stepId: err.step } });
      throw err;
    }
    if (nextStepId(s.answers) === null) await finish(ctx, s);
    return view(s);
  },
});

/** `wizard.cancel`: ends a session without writing anything. */
export const wizardCancel = defineMethod({
  name: 'wizard.cancel',
  scope: 'operator.admin',
  params: z.strictObject({ sessionId: SessionId }),
  async handler(ctx, p) {
    const s = sessionOf(ctx, p.sessionId);
    if (s.status === 'running') s.status = 'cancelled';
    return view(s);
  },
});

/** `wizard.status`: where a session stands, with its answers so far (secrets redacted). */
export const wizardStatus = defineMethod({
  name: 'wizard.status',
  scope: 'operator.admin',
  params: z.strictObject({ sessionId: SessionId }),
  async handler(ctx, p) {
    const s = sessionOf(ctx, p.sessionId);
    // The result holds the one-time gateway token; status never repeats it.
    const { gatewayToken: _once, ...result } = s.result ?? {};
    return { ...view({ ...s, ...(s.result ? { result } : {}) }), answers: redactAnswers(s.answers) };
  },
});

/** The wizard methods, for the registry. */
export const WIZARD_METHODS = [wizardStart, wizardNext, wizardCancel, wizardStatus] as const;
