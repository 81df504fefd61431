import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string equality: both sides are hashed first, so neither the content nor the
 * length of the stored value leaks through timing.
 */
export function secureEquals(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
