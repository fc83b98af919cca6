// Pairing on the gateway surface: the methods need operator.pairing (admin is not implied by it), and
// pairing events reach only holders of the pairing scope (or admin).
import { describe, expect, it } from 'vitest';
import { METHODS } from '../../../src/gateway/methods/index.ts';
import { mayReceive } from '../../../src/gateway/scopes.ts';

describe('pairing scopes', () => {
  it('registers every channels.pairing method under operator.pairing and advertises them', () => {
    const pairing = METHODS.describe().filter((m) => m.name.startsWith('channels.pairing.'));
    expect(pairing).toEqual(['approve', 'dismiss', 'list', 'reject', 'revoke'].map((a) => ({ name: `channels.pairing.${a}`, scope: 'operator.pairing' })));
    expect(METHODS.advertised()).toEqual(expect.arrayContaining(pairing.map((m) => m.name)));
  });

  it('delivers pairing.requested and pairing.resolved to pairing or admin holders only', () => {
    for (const event of ['pairing.requested', 'pairing.resolved']) {
      expect(mayReceive('operator', ['operator.pairing'], event)).toBe(true);
      expect(mayReceive('operator', ['operator.admin'], event)).toBe(true);
      expect(mayReceive('operator', ['operator.read', 'operator.write', 'operator.approvals'], event)).toBe(false);
      expect(mayReceive('node', ['operator.pairing'], event)).toBe(false);
    }
  });
});
