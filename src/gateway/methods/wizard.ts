/**
 * `wizard.start|next|cancel|status` (admin): the setup wizard of `edgeclaw setup` as a server-side state
 * machine over the same steps (src/wizard/steps.ts). Sessions live in the gateway object (GatewayDO's
 * SQLite, src/wizard/service.ts), so a wizard started over the WebSocket continues over `POST /rpc`.
 */
import { z } from 'zod';
import { STEP_IDS } from '../../wizard/steps.ts';
import { defineMethod } from '../registry.ts';

const SessionId = z.string().min(1).max(64);

/** `wizard.start`: opens a session and returns its first step. */
export const wizardStart = defineMethod({
  name: 'wizard.start',
  scope: 'operator.admin',
  params: z.strictObject({ mode: z.enum(['local', 'remote']).optional() }),
  handler: (ctx) => ctx.hub.wizardStart(),
});

/** `wizard.next`: answers the current step (or, without `answer`, repeats it) and returns the next one. */
export const wizardNext = defineMethod({
  name: 'wizard.next',
  scope: 'operator.admin',
  params: z.strictObject({
    sessionId: SessionId,
    answer: z.strictObject({ stepId: z.enum(STEP_IDS), value: z.union([z.string().max(8192), z.boolean()]) }).optional(),
  }),
  handler: (ctx, p) => ctx.hub.wizardNext(p.sessionId, p.answer),
});

/** `wizard.cancel`: ends a session without writing anything. */
export const wizardCancel = defineMethod({
  name: 'wizard.cancel',
  scope: 'operator.admin',
  params: z.strictObject({ sessionId: SessionId }),
  handler: (ctx, p) => ctx.hub.wizardCancel(p.sessionId),
});

/** `wizard.status`: where a session stands, with its answers so far (secrets redacted). */
export const wizardStatus = defineMethod({
  name: 'wizard.status',
  scope: 'operator.admin',
  params: z.strictObject({ sessionId: SessionId }),
  handler: (ctx, p) => ctx.hub.wizardStatus(p.sessionId),
});

/** The wizard methods, for the registry. */
export const WIZARD_METHODS = [wizardStart, wizardNext, wizardCancel, wizardStatus] as const;
