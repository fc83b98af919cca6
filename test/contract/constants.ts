/** Settings both test hosts are started with (vitest.config.ts passes them to workerd; the Node harness to the server). */
export const TEST_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_QUEUE_CAP = 5;
/** Drop policy of the test hosts: the foundation suite checks that a full queue rejects with QUEUE_FULL. */
export const TEST_QUEUE_DROP = 'new';
/** A read-only operator token (configured as a gateway credential on both test hosts). */
export const READ_TOKEN = 'read-only-token-0123456789abcdef';
/** The credentials var both test hosts get. */
export const TEST_CREDENTIALS = JSON.stringify([{ id: 'reader', kind: 'token', secret: READ_TOKEN, role: 'operator', scopes: ['operator.read'] }]);
/** Token of the /hooks surface on both test hosts. */
export const TEST_HOOKS_TOKEN = 'hooks-token-0123456789abcdef';
