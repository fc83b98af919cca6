/**
 * DM pairing, channel-neutral: an unknown sender under `dmPolicy: pairing` gets a short code (8 characters
 * from an alphabet without 0/O/1/I, crypto-random), valid for `codeTtlMs`; the same code is repeated to
 * that sender, at most once per `replyIntervalMs`, until it expires. Each account holds at most
 * `pendingCap` requests: past it, new senders are told to try later and nothing is stored. The owner
 * approves a code (gateway `channels.pairing.approve`, `edgeclaw pairing approve`); approved senders are
 * consulted by activation besides config `allowFrom`. Rows live in the global registry (D1 / SQLite).
 */
import type { DbBinding } from '../env.ts';
import { PairingRepo, type ApprovedSenderRow, type PairingRequestRow } from '../storage/repos/pairing.ts';

/** Code alphabet: upper-case letters and digits without the look-alikes 0, O, 1 and I (32 symbols). */
export const PAIRING_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** Code length. */
export const PAIRING_CODE_LENGTH = 8;

/** Limits of the pairing store (the `pairing` config section). */
export interface PairingLimits {
  readonly codeTtlMs: number;
  readonly pendingCap: number;
  readonly replyIntervalMs: number;
  readonly approvedCap: number;
}

/** The defaults (`pairing` config section). */
export const DEFAULT_PAIRING_LIMITS: PairingLimits = { codeTtlMs: 3_600_000, pendingCap: 3, replyIntervalMs: 600_000, approvedCap: 1_000 };

/**
 * A fresh code: 8 symbols from PAIRING_ALPHABET, each from one random byte (256 is a multiple of 32, so
 * the choice is uniform).
 * @example generatePairingCode() // 'K7QX4MZP'
 */
export function generatePairingCode(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(PAIRING_CODE_LENGTH));
  let code = '';
  for (const b of bytes) code += PAIRING_ALPHABET[b & 31];
  return code;
}

/**
 * A typed-in code in canonical form (upper case, spaces and dashes removed), or null when it cannot be one.
 * @example normalizePairingCode(' k7qx-4mzp ') === 'K7QX4MZP'
 */
export function normalizePairingCode(input: string): string | null {
  const code = input.replace(/[\s-]+/g, '').toUpperCase();
  if (code.length !== PAIRING_CODE_LENGTH) return null;
  for (const ch of code) if (!PAIRING_ALPHABET.includes(ch)) return null;
  return code;
}

/** Who asks to pair. */
export interface PairingSender {
  readonly id: string;
  readonly username?: string;
  readonly displayName?: string;
}

/** What an unknown sender's message leads to. */
export type PairingRequestOutcome =
  /** A new request: send the code. */
  | { readonly status: 'created'; readonly request: PairingRequestRow }
  /** A live request whose code is due to be sent again. */
  | { readonly status: 'repeat'; readonly request: PairingRequestRow }
  /** A live request whose code was sent recently: no reply (no spamming). */
  | { readonly status: 'quiet'; readonly request: PairingRequestRow }
  /** The account is at its pending cap: tell the sender to try later (`notify` false = told recently). */
  | { readonly status: 'full'; readonly notify: boolean };

/** Why an approval, dismissal or revocation failed (mapped to protocol errors by the gateway methods). */
export type PairingFailure =
  | { readonly ok: false; readonly reason: 'invalid-code'; readonly message: string }
  | { readonly ok: false; readonly reason: 'not-found'; readonly message: string }
  | { readonly ok: false; readonly reason: 'expired'; readonly message: string }
  | { readonly ok: false; readonly reason: 'approved-cap'; readonly message: string }
  | { readonly ok: false; readonly reason: 'owner-bootstrap'; readonly message: string };

/** Options of a store (tests pin `now` and the random source). */
export interface PairingStoreOptions {
  readonly now?: () => number;
  readonly random?: (bytes: Uint8Array) => Uint8Array;
}

// Senders already told "try later" in this isolate: channel|account|sender → when. Bounded; the oldest go first.
const OVERFLOW_NOTICES_MAX = 1_000;
const overflowNotices = new Map<string, number>();

function overflowNoticeDue(key: string, now: number, interval: number): boolean {
  const last = overflowNotices.get(key);
  if (last !== undefined && now - last < interval) return false;
  overflowNotices.delete(key);
  overflowNotices.set(key, now);
  while (overflowNotices.size > OVERFLOW_NOTICES_MAX) overflowNotices.delete(overflowNotices.keys().next().value!);
  return true;
}

/**
 * The pairing store: requests, codes, approvals. Expected outcomes are values, not throws.
 * @example const store = new PairingStore(env.DB, settingsOf(env).pairing); await store.request('telegram', 'default', { id: '42' })
 */
export class PairingStore {
  readonly repo: PairingRepo;
  readonly limits: PairingLimits;
  readonly #now: () => number;
  readonly #random: ((bytes: Uint8Array) => Uint8Array) | undefined;

  constructor(db: DbBinding, limits: PairingLimits = DEFAULT_PAIRING_LIMITS, opts: PairingStoreOptions = {}) {
    this.repo = new PairingRepo(db);
    this.limits = limits;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random;
  }

  /** Whether the sender was approved through pairing. */
  isApproved(channel: string, account: string, senderId: string): Promise<boolean> {
    return this.repo.isApproved(channel, account, senderId);
  }

  /** Handles a message from an unknown sender: create, repeat or stay quiet, or refuse past the cap. */
  async request(channel: string, account: string, sender: PairingSender): Promise<PairingRequestOutcome> {
    const now = this.#now();
    await this.repo.purgeExpired(channel, account, now);
    for (let attempt = 0; attempt < 4; attempt++) {
      const existing = await this.repo.requestOf(channel, account, sender.id, now);
      if (existing) {
        const due = await this.repo.claimNotice(channel, account, sender.id, now - this.limits.replyIntervalMs, now);
        return due ? { status: 'repeat', request: { ...existing, notifiedAt: now } } : { status: 'quiet', request: existing };
      }
      const row: PairingRequestRow = {
        channel,
        account,
        senderId: sender.id,
        code: generatePairingCode(this.#random),
        username: sender.username ?? null,
        displayName: sender.displayName ?? null,
        createdAt: now,
        expiresAt: now + this.limits.codeTtlMs,
        notifiedAt: now,
      };
      const inserted = await this.repo.insertIfRoom(row, this.limits.pendingCap);
      if (inserted) return { status: 'created', request: inserted };
      // Not inserted: the cap, a concurrent request of the same sender (found on the next pass), or a code
      // collision (a new code on the next pass).
      if ((await this.repo.countPending(channel, account, now)) >= this.limits.pendingCap && !(await this.repo.requestOf(channel, account, sender.id, now))) {
        return { status: 'full', notify: overflowNoticeDue(`${channel}|${account}|${sender.id}`, now, this.limits.replyIntervalMs) };
      }
    }
    throw new Error('pairing request could not be stored');
  }

  /** Live requests and approved senders (narrowed by channel/account when given). */
  async list(channel: string | null, account: string | null): Promise<{ requests: PairingRequestRow[]; approved: ApprovedSenderRow[] }> {
    const now = this.#now();
    return { requests: await this.repo.pending(channel, account, now), approved: await this.repo.approved(channel, account) };
  }

  /** The live request with `code`, or why there is none (an approval that already consumed it counts as found). */
  async lookup(channel: string, account: string | null, rawCode: string): Promise<{ ok: true; request: PairingRequestRow } | { ok: true; approved: ApprovedSenderRow } | PairingFailure> {
    const code = normalizePairingCode(rawCode);
    if (!code) return { ok: false, reason: 'invalid-code', message: `invalid pairing code: expected ${PAIRING_CODE_LENGTH} characters from ${PAIRING_ALPHABET}` };
    const now = this.#now();
    const live = await this.repo.findByCode(channel, account, code, now);
    if (live) return { ok: true, request: live };
    const done = await this.repo.approvedByCode(channel, account, code);
    if (done) return { ok: true, approved: done };
    if (await this.repo.findAnyByCode(channel, account, code)) return { ok: false, reason: 'expired', message: `pairing code ${code} has expired; the sender gets a new one by writing again` };
    return { ok: false, reason: 'not-found', message: `no pending pairing request with code ${code} on ${channel}${account ? `/${account}` : ''}` };
  }

  /**
   * Approves the request with `code`. `ownerKnown` says whether the account already has an owner (config
   * or an earlier approval); when it has none this approval makes the sender the owner, which only a
   * caller with `mayBootstrapOwner` may do. Approving a code that was already approved returns that approval.
   */
  async approve(opts: { channel: string; account: string | null; code: string; by: string; ownerKnown: (account: string) => Promise<boolean>; mayBootstrapOwner: boolean }): Promise<
    { ok: true; approved: ApprovedSenderRow; changed: boolean } | PairingFailure
  > {
    const found = await this.lookup(opts.channel, opts.account, opts.code);
    if (!found.ok) return found;
    if ('approved' in found) return { ok: true, approved: found.approved, changed: false };
    const req = found.request;
    const ownerKnown = await opts.ownerKnown(req.account);
    if (!ownerKnown && !opts.mayBootstrapOwner) {
      return { ok: false, reason: 'owner-bootstrap', message: `approving the first sender of ${req.channel}/${req.account} makes them its owner, which needs operator.admin` };
    }
    if ((await this.repo.countApproved(req.channel, req.account)) >= this.limits.approvedCap) {
      return { ok: false, reason: 'approved-cap', message: `${req.channel}/${req.account} already has ${this.limits.approvedCap} approved senders (pairing.approvedCap); revoke one first` };
    }
    const taken = await this.repo.takeByCode(req.channel, req.account, req.code, this.#now());
    if (!taken) {
      // Another approver (or expiry) got there first: report what is true now.
      const again = await this.lookup(opts.channel, opts.account, opts.code);
      if (!again.ok) return again;
      if ('approved' in again) return { ok: true, approved: again.approved, changed: false };
      throw new Error('pairing request vanished during approval');
    }
    const approved = await this.repo.approve({
      channel: taken.channel,
      account: taken.account,
      senderId: taken.senderId,
      username: taken.username,
      approvedAt: this.#now(),
      approvedBy: opts.by,
      code: taken.code,
      asOwner: !ownerKnown,
    });
    return { ok: true, approved, changed: true };
  }

  /** Rejects (removes) the pending request with `code`; the sender can ask again later. */
  async dismiss(channel: string, account: string | null, rawCode: string): Promise<{ ok: true; request: PairingRequestRow } | PairingFailure> {
    const found = await this.lookup(channel, account, rawCode);
    if (!found.ok) return found;
    if ('approved' in found) return { ok: false, reason: 'not-found', message: `pairing code ${found.approved.code} was already approved; use channels.pairing.revoke to remove the sender` };
    const taken = await this.repo.takeByCode(found.request.channel, found.request.account, found.request.code, this.#now());
    return taken ? { ok: true, request: taken } : { ok: false, reason: 'not-found', message: `pairing code ${found.request.code} is no longer pending` };
  }

  /** Removes an approved sender; null when there was none. */
  revoke(channel: string, account: string, senderId: string): Promise<ApprovedSenderRow | null> {
    return this.repo.revoke(channel, account, senderId);
  }
}

/** Texts sent to senders (plain text; the channel escapes it). `idLabel` names the channel's id, e.g. "Telegram user id". */
export const PAIRING_TEXTS = {
  code: (channel: string, code: string, senderId: string, idLabel: string, ttlMs: number) =>
    [
      'This assistant is private and does not know you yet.',
      `Your ${idLabel}: ${senderId}`,
      `Pairing code: ${code}`,
      `Ask its owner to approve it (edgeclaw pairing approve ${channel} ${code}); the code is valid for ${formatDuration(ttlMs)}. Then write again.`,
    ].join('\n'),
  full: 'This assistant is private and has too many pending access requests right now. Please try again later.',
  approved: 'You have been approved: this assistant will answer you now. Please send your message again.',
};

/** `1 hour`, `10 minutes`, `30 seconds`. */
export function formatDuration(ms: number): string {
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, 'hour');
  if (ms >= 60_000) return unit(Math.round(ms / 60_000), 'minute');
  return unit(Math.max(1, Math.round(ms / 1000)), 'second');
}
