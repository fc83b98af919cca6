/**
 * DM pairing methods (scope `operator.pairing`): `channels.pairing.list`, `channels.pairing.approve`
 * (plus `operator.admin` when the approval bootstraps the account's owner, reference §3),
 * `channels.pairing.dismiss` (alias `channels.pairing.reject`) and `channels.pairing.revoke`. Each change
 * is announced as `pairing.resolved` to holders of the pairing scope.
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { defineMethod, type MethodContext } from '../registry.ts';
import { scopeSatisfied } from '../scopes.ts';
import type { ApprovedSenderRow, PairingRequestRow } from '../../storage/repos/pairing.ts';
import type { PairingFailure } from '../../channels/pairing.ts';

const channelId = z.string().trim().toLowerCase().regex(/^[a-z0-9_-]{1,32}$/, 'expected a channel id such as "telegram"');
const accountId = z.string().trim().regex(/^[a-z0-9_-]{1,64}$/, 'expected an account id (a-z, 0-9, _ or -)');
const code = z.string().trim().min(1).max(32);

// Loaded on demand: an idle gateway does not load channel drivers.
const load = () => import('../../channels/pairing-channels.ts');

async function channelOf(ctx: MethodContext, id: string) {
  const mod = await load();
  const channel = mod.PAIRING_CHANNELS[id];
  if (!channel) throw new GatewayError('INVALID_REQUEST', `invalid channels.pairing params: channel: "${id}" has no pairing (channels with pairing: ${Object.keys(mod.PAIRING_CHANNELS).join(', ')})`);
  return { mod, channel, store: mod.pairingStoreOf(ctx.env) };
}

function checkAccount(accounts: readonly string[], channel: string, account: string | undefined): string | null {
  if (account === undefined) return null;
  if (!accounts.includes(account)) throw new GatewayError('INVALID_REQUEST', `invalid channels.pairing params: account: no ${channel} account "${account}" (configured: ${accounts.join(', ') || 'none'})`);
  return account;
}

/** Maps a store failure to the protocol error (protocol codes only; details.code names the case for clients). */
function failure(f: PairingFailure): GatewayError {
  switch (f.reason) {
    case 'invalid-code':
      return new GatewayError('INVALID_REQUEST', f.message, { details: { code: 'PAIRING_CODE_INVALID' } });
    case 'not-found':
      return new GatewayError('INVALID_REQUEST', f.message, { details: { code: 'PAIRING_CODE_NOT_FOUND' } });
    case 'expired':
      return new GatewayError('INVALID_REQUEST', f.message, { details: { code: 'PAIRING_CODE_EXPIRED' } });
    case 'approved-cap':
      return new GatewayError('INVALID_REQUEST', f.message, { details: { code: 'PAIRING_APPROVED_CAP' } });
    case 'owner-bootstrap':
      return new GatewayError('FORBIDDEN', `missing scope: operator.admin (${f.message})`, {
        details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin', requiredScopes: ['operator.pairing', 'operator.admin'], reason: 'owner-bootstrap' },
      });
  }
}

const requestView = (r: PairingRequestRow) => ({ channel: r.channel, accountId: r.account, senderId: r.senderId, username: r.username, displayName: r.displayName, code: r.code, createdAt: r.createdAt, expiresAt: r.expiresAt });
const approvedView = (a: ApprovedSenderRow) => ({
  channel: a.channel,
  accountId: a.account,
  senderId: a.senderId,
  username: a.username,
  approvedAt: a.approvedAt,
  approvedBy: a.approvedBy,
  owner: a.isOwner,
  notice: a.noticeState ?? 'pending',
});
const by = (ctx: MethodContext) => `${ctx.caller.clientId || 'operator'}:${ctx.caller.connId}`.slice(0, 128);

/** `channels.pairing.list`: pending requests (with codes) and approved senders. */
export const channelsPairingList = defineMethod({
  name: 'channels.pairing.list',
  scope: 'operator.pairing',
  params: z.strictObject({ channel: channelId.optional(), accountId: accountId.optional() }),
  async handler(ctx, p) {
    const mod = await load();
    if (p.channel && !mod.PAIRING_CHANNELS[p.channel]) await channelOf(ctx, p.channel);
    const { requests, approved } = await mod.pairingStoreOf(ctx.env).list(p.channel ?? null, p.accountId ?? null);
    return { requests: requests.map(requestView), approved: approved.map(approvedView) };
  },
});

/** `channels.pairing.approve`: approves a code; the sender is told once through the channel outbox. */
export const channelsPairingApprove = defineMethod({
  name: 'channels.pairing.approve',
  scope: 'operator.pairing',
  params: z.strictObject({ channel: channelId, accountId: accountId.optional(), code, notify: z.boolean().optional() }),
  async handler(ctx, p) {
    const { mod, channel, store } = await channelOf(ctx, p.channel);
    const account = checkAccount(channel.accounts(ctx.env), p.channel, p.accountId);
    const result = await store.approve({
      channel: p.channel,
      account,
      code: p.code,
      by: by(ctx),
      ownerKnown: (a) => mod.ownerKnown(ctx.env, store, channel, a),
      mayBootstrapOwner: ctx.caller.role === 'operator' && scopeSatisfied(ctx.caller.scopes, 'operator.admin'),
    });
    if (!result.ok) throw failure(result);
    const a = result.approved;
    const notice = p.notify === false ? { status: 'skipped' as const } : a.noticeState === 'sent' ? { status: 'already-sent' as const } : await mod.notifyApproved(ctx.env, store, a);
    if (result.changed) await ctx.hub.broadcast('pairing.resolved', { ...approvedView(a), decision: 'approved', code: a.code, ts: ctx.now });
    return { ok: true, approved: approvedView(a), changed: result.changed, notice };
  },
});

const dismissParams = z.strictObject({ channel: channelId, accountId: accountId.optional(), code });

async function dismiss(ctx: MethodContext, p: z.output<typeof dismissParams>) {
  const { channel, store } = await channelOf(ctx, p.channel);
  const account = checkAccount(channel.accounts(ctx.env), p.channel, p.accountId);
  const result = await store.dismiss(p.channel, account, p.code);
  if (!result.ok) throw failure(result);
  await ctx.hub.broadcast('pairing.resolved', { ...requestView(result.request), decision: 'rejected', by: by(ctx), ts: ctx.now });
  return { ok: true, dismissed: requestView(result.request) };
}

/** `channels.pairing.dismiss`: rejects a pending code (the sender may ask again later). */
export const channelsPairingDismiss = defineMethod({ name: 'channels.pairing.dismiss', scope: 'operator.pairing', params: dismissParams, handler: dismiss });

/** `channels.pairing.reject`: the same as dismiss. */
export const channelsPairingReject = defineMethod({ name: 'channels.pairing.reject', scope: 'operator.pairing', params: dismissParams, handler: dismiss });

/** `channels.pairing.revoke`: removes an approved sender (their next DM gets a new pairing code). */
export const channelsPairingRevoke = defineMethod({
  name: 'channels.pairing.revoke',
  scope: 'operator.pairing',
  params: z.strictObject({ channel: channelId, accountId: accountId.optional(), senderId: z.string().trim().regex(/^-?\d{1,20}$|^[A-Za-z0-9_.:-]{1,64}$/, 'expected a sender id') }),
  async handler(ctx, p) {
    const { channel, store } = await channelOf(ctx, p.channel);
    const accounts = channel.accounts(ctx.env);
    const account = checkAccount(accounts, p.channel, p.accountId) ?? (accounts.length === 1 ? accounts[0]! : null);
    if (!account) throw new GatewayError('INVALID_REQUEST', `invalid channels.pairing.revoke params: accountId: required when ${p.channel} has ${accounts.length} accounts`);
    const removed = await store.revoke(p.channel, account, p.senderId);
    if (!removed) throw new GatewayError('INVALID_REQUEST', `${p.senderId} is not an approved sender of ${p.channel}/${account}`, { details: { code: 'PAIRING_SENDER_NOT_FOUND' } });
    await ctx.hub.broadcast('pairing.resolved', { ...approvedView(removed), decision: 'revoked', by: by(ctx), ts: ctx.now });
    return { ok: true, revoked: approvedView(removed) };
  },
});

/** Every pairing method. */
export const PAIRING_METHODS = [channelsPairingList, channelsPairingApprove, channelsPairingDismiss, channelsPairingReject, channelsPairingRevoke];
