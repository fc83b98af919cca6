/** Settings both test hosts are started with (vitest.config.ts passes them to workerd; the Node harness to the server). */
export const TEST_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_QUEUE_CAP = 5;
