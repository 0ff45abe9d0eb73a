import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  RetryPolicyError,
  mayRetry,
  retryDelay,
  validateRetryPolicy,
} from '../../src/retry/policy.js';

function policy(changes: Partial<RetryPolicy> = {}): RetryPolicy {
  return { maxAttempts: 5, delayMinMs: 1000, delayMaxMs: 4000, ...changes };
}

describe('validateRetryPolicy', () => {
  it('accepts the default policy and answers it unchanged', () => {
    expect(validateRetryPolicy(DEFAULT_RETRY_POLICY)).toBe(DEFAULT_RETRY_POLICY);
    expect(DEFAULT_RETRY_POLICY).toEqual(policy());
  });

  it('accepts one attempt and a fixed delay', () => {
    const fixed = policy({ maxAttempts: 1, delayMinMs: 0, delayMaxMs: 0 });

    expect(validateRetryPolicy(fixed)).toBe(fixed);
  });

  for (const maxAttempts of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects maxAttempts ${maxAttempts}, naming the field`, () => {
      expect(() => validateRetryPolicy(policy({ maxAttempts }))).toThrow(RetryPolicyError);
      expect(() => validateRetryPolicy(policy({ maxAttempts }))).toThrow(/maxAttempts/);
    });
  }

  for (const delayMinMs of [-1, Number.NaN]) {
    it(`rejects a shortest delay of ${delayMinMs}, naming the shortest delay`, () => {
      expect(() => validateRetryPolicy(policy({ delayMinMs }))).toThrow(RetryPolicyError);
      expect(() => validateRetryPolicy(policy({ delayMinMs }))).toThrow(/shortest retry delay/);
    });
  }

  it('rejects a longest delay shorter than the shortest, naming both fields', () => {
    const run = () => validateRetryPolicy(policy({ delayMinMs: 1000, delayMaxMs: 999 }));

    expect(run).toThrow(RetryPolicyError);
    expect(run).toThrow(/delayMaxMs .* is shorter than delayMinMs \(1000 ms\)/);
  });

  it('rejects a longest delay that is not a number, naming the field', () => {
    const run = () => validateRetryPolicy(policy({ delayMinMs: 1000, delayMaxMs: Number.NaN }));

    expect(run).toThrow(/delayMaxMs must be a finite number/);
  });

  it('rejects a longest delay that is not finite', () => {
    const endless = policy({ delayMaxMs: Number.POSITIVE_INFINITY });

    expect(() => validateRetryPolicy(endless)).toThrow(RetryPolicyError);
  });
});

describe('mayRetry', () => {
  it('allows another attempt until the attempt limit is reached', () => {
    const five = policy({ maxAttempts: 5 });

    expect([1, 2, 3, 4, 5, 6].map((attempt) => mayRetry(five, attempt))).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('never retries when only one attempt is allowed', () => {
    expect(mayRetry(policy({ maxAttempts: 1 }), 1)).toBe(false);
  });
});

describe('retryDelay', () => {
  it('waits the shortest delay when the random source gives 0', () => {
    expect(retryDelay(policy(), () => 0)).toBe(1000);
  });

  it('waits close to, and never beyond, the longest delay when random is almost 1', () => {
    const delay = retryDelay(policy(), () => 0.9999999);

    expect(delay).toBeLessThanOrEqual(4000);
    expect(delay).toBeGreaterThanOrEqual(3999);
  });

  it('spreads the delay across the range', () => {
    expect(retryDelay(policy(), () => 0.5)).toBe(2500);
  });

  it('waits exactly the fixed delay when shortest and longest are equal', () => {
    expect(retryDelay(policy({ delayMinMs: 2000, delayMaxMs: 2000 }), () => 0.73)).toBe(2000);
  });

  it('answers whole milliseconds within [min, max] for any random number in [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 3_600_000 }),
        fc.nat({ max: 3_600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (delayMinMs, span, random) => {
          const bounds = policy({ delayMinMs, delayMaxMs: delayMinMs + span });
          const delay = retryDelay(validateRetryPolicy(bounds), () => random);

          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(delayMinMs);
          expect(delay).toBeLessThanOrEqual(delayMinMs + span);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
