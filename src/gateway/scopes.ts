/**
 * Roles, operator scopes, their implication rules, the scope each method needs and the scope each event
 * needs (reference §3). Unknown methods need admin; `config.*`, `wizard.*`, `exec.approvals.*` and
 * `update.*` are always admin.
 */

/** The closed set of operator scopes. */
export const OPERATOR_SCOPES = [
  'operator.read',
  'operator.write',
  'operator.admin',
  'operator.approvals',
  'operator.questions',
  'operator.pairing',
  'operator.talk',
  'operator.talk.secrets',
  'operator.sessions.read',
  'operator.sessions.write',
] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];
/** Connection roles. */
export type Role = 'operator' | 'node';
/** What a method needs: an operator scope, or the node role. */
export type MethodScope = OperatorScope | 'node';

const KNOWN = new Set<string>(OPERATOR_SCOPES);

/** True for a recognised operator scope name. */
export function isOperatorScope(s: string): s is OperatorScope {
  return KNOWN.has(s);
}

/** Whether `granted` satisfies `required` under the implication rules. */
export function scopeSatisfied(granted: readonly string[], required: OperatorScope): boolean {
  const has = (s: OperatorScope) => granted.includes(s);
  if (has('operator.admin') || has(required)) return true;
  switch (required) {
    case 'operator.read':
    case 'operator.talk':
    case 'operator.sessions.write':
      return has('operator.write');
    case 'operator.sessions.read':
      return has('operator.write') || has('operator.read') || has('operator.sessions.write');
    default:
      return false;
  }
}

/**
 * Scopes a connection gets: the requested ones that the credential grants (implied grants count), or
 * every granted scope when none were requested. A request for more never widens the grant.
 */
export function negotiateScopes(granted: readonly OperatorScope[], requested: readonly string[] | undefined): OperatorScope[] {
  if (!requested || requested.length === 0) return [...granted];
  const out = new Set<OperatorScope>();
  for (const r of requested) if (isOperatorScope(r) && scopeSatisfied(granted, r)) out.add(r);
  return [...out];
}

const ALWAYS_ADMIN_PREFIXES = ['config.', 'wizard.', 'exec.approvals.', 'update.'];

/** The scope a method needs by name (a method's own declaration wins; unknown means admin). */
export function requiredScope(method: string, declared?: MethodScope): MethodScope {
  if (ALWAYS_ADMIN_PREFIXES.some((p) => method.startsWith(p))) return 'operator.admin';
  return declared ?? 'operator.admin';
}

/** Events any authenticated socket may receive. */
const OPEN_EVENTS = new Set(['tick', 'health', 'heartbeat', 'shutdown', 'update.available']);
const READ_EVENTS = new Set(['agent', 'chat', 'presence', 'cron', 'sessions.changed', 'session.message', 'session.tool', 'config.changed', 'node.presence', 'defender.decision', 'telegram.status']);

/** The scope an event needs, or null when it must not be delivered to operators at all. */
export function eventScope(event: string): OperatorScope | 'none' | null {
  if (OPEN_EVENTS.has(event)) return 'none';
  if (READ_EVENTS.has(event)) return 'operator.read';
  if (event.startsWith('exec.approval.') || event.startsWith('plugin.approval.')) return 'operator.approvals';
  if (event.startsWith('device.pair.') || event.startsWith('node.pair.') || event.startsWith('pairing.')) return 'operator.pairing';
  if (event.startsWith('terminal.')) return 'operator.admin';
  return null;
}

/** Whether a socket with `role`/`scopes` may receive `event`. */
export function mayReceive(role: Role, scopes: readonly string[], event: string): boolean {
  const need = eventScope(event);
  if (need === null) return false;
  if (need === 'none') return true;
  return role === 'operator' && scopeSatisfied(scopes, need);
}
