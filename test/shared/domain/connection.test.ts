import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  assertTransition,
  CONNECTION_STATUSES,
  canTransition,
} from '#shared/domain/connection.ts';
import { ForbiddenTransitionError } from '#shared/errors.ts';

describe('connection transitions', () => {
  it('follows REGISTERED → ACTIVE | FAILED → REVOKED, with BROKEN after a failed re-validation', () => {
    expect(canTransition('REGISTERED', 'ACTIVE')).toBe(true);
    expect(canTransition('REGISTERED', 'FAILED')).toBe(true);
    expect(canTransition('ACTIVE', 'REVOKED')).toBe(true);
    expect(canTransition('FAILED', 'REVOKED')).toBe(true);
    expect(canTransition('ACTIVE', 'BROKEN')).toBe(true);
    expect(canTransition('BROKEN', 'ACTIVE')).toBe(true);
  });

  it('treats REVOKED as terminal', () => {
    for (const to of CONNECTION_STATUSES) expect(canTransition('REVOKED', to)).toBe(false);
    expect(ALLOWED_TRANSITIONS.REVOKED).toEqual([]);
  });

  it('never allows FAILED to become ACTIVE without a new registration', () => {
    expect(canTransition('FAILED', 'ACTIVE')).toBe(false);
  });

  it('explains a forbidden transition by naming both states and the allowed ones', () => {
    expect(() => assertTransition('FAILED', 'ACTIVE')).toThrow(
      new ForbiddenTransitionError('FAILED', 'ACTIVE', ['REGISTERED', 'REVOKED']),
    );
    expect(() => assertTransition('FAILED', 'ACTIVE')).toThrow(
      'Connection cannot move from FAILED to ACTIVE: from FAILED only REGISTERED, REVOKED are allowed.',
    );
    expect(() => assertTransition('REVOKED', 'ACTIVE')).toThrow('REVOKED is terminal');
  });
});
