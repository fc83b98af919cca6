/** Settings both test hosts are started with (vitest.config.ts passes them to workerd; the Node harness to the server). */
export const TEST_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_QUEUE_CAP = 5;
/** Drop policy of the test hosts: the foundation suite checks that a full queue rejects with QUEUE_FULL. */
export const TEST_QUEUE_DROP = 'new';
/** A read-only operator token (configured as a gateway credential on both test hosts). */
export const READ_TOKEN = 'read-only-token-0123456789abcdef';
/** A node-role credential (configured on both test hosts; nodes must also sign with a device key). */
export const NODE_TOKEN = 'node-role-token-0123456789abcdef';
/** The credentials var both test hosts get. */
export const TEST_CREDENTIALS = JSON.stringify([
  { id: 'reader', kind: 'token', secret: READ_TOKEN, role: 'operator', scopes: ['operator.read'] },
  { id: 'node', kind: 'token', secret: NODE_TOKEN, role: 'node', scopes: [] },
]);
/** Pending pairing requests at most on both test hosts (the devices suite fills it). */
export const TEST_PAIRING_MAX_PENDING = 4;
/** Token of the /hooks surface on both test hosts. */
export const TEST_HOOKS_TOKEN = 'hooks-token-0123456789abcdef';
