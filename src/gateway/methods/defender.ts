/** Defender methods: `defender.attest` (what the gateway runs, signed; reference security.md, attestation). */
import { z } from 'zod';
import { activePolicyFor } from '../../defender/active-policy.ts';
import { recentDecisions } from '../../storage/repos/audit.ts';
import { settingsHash, type AttestationPayload } from '../../defender/attest.ts';
import { BUILD_SOURCE_HASH, EDGECLAW_VERSION } from '../../version.ts';
import { defineMethod } from '../registry.ts';

/** `defender.attest`: build source hash, active policy bundle, settings hash and the caller's nonce, signed. */
export const defenderAttest = defineMethod({
  name: 'defender.attest',
  scope: 'operator.read',
  params: z.strictObject({
    nonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'expected 16-128 characters of A-Z, a-z, 0-9, _ or - (a fresh random value)'),
  }),
  async handler(ctx, p) {
    const active = await activePolicyFor(ctx.env);
    const payload: AttestationPayload = {
      type: 'edgeclaw.attestation.v1',
      issuedAt: new Date(ctx.now).toISOString(),
      nonce: p.nonce,
      server: { version: EDGECLAW_VERSION, sourceHash: BUILD_SOURCE_HASH, host: ctx.env.CAPABILITIES?.host ?? 'workers' },
      policy: {
        bundleVersion: active.bundleVersion,
        sha256: active.bundleSha256 ?? null,
        policyId: active.policyId ?? null,
        rootVersion: active.rootVersion ?? null,
        error: active.error ? `${active.error.code}: ${active.error.message}` : null,
      },
      configHash: await settingsHash(ctx.env as unknown as Record<string, unknown>),
    };
    return { attestation: await ctx.hub.signAttestation(payload), ...payload };
  },
});

/** Most decisions one `defender.decisions` call returns. */
export const DECISIONS_PAGE_MAX = 200;

/**
 * `defender.decisions`: the newest recorded decisions first (kind, outcome, score, reasons, session, a short
 * excerpt), paged with `beforeId` (the last row's id), optionally for one session or one outcome.
 */
export const defenderDecisions = defineMethod({
  name: 'defender.decisions',
  scope: 'operator.read',
  params: z.strictObject({
    limit: z.number().int().min(1).max(DECISIONS_PAGE_MAX).optional(),
    beforeId: z.number().int().min(1).optional(),
    sessionKey: z.string().min(1).max(512).optional(),
    decision: z.enum(['allow', 'review', 'block']).optional(),
  }),
  async handler(ctx, p) {
    const limit = p.limit ?? 50;
    const decisions = await recentDecisions(ctx.env.DB, { limit, ...(p.beforeId ? { beforeId: p.beforeId } : {}), ...(p.sessionKey ? { sessionKey: p.sessionKey } : {}), ...(p.decision ? { decision: p.decision } : {}) });
    return { decisions, nextBeforeId: decisions.length === limit ? decisions.at(-1)!.id : null };
  },
});
