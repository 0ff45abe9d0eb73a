// When to try an attempt again and how long to wait first. Pure: randomness comes in.

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** Bounds of the uniformly random wait before the next attempt. */
  delayMinMs: number;
  delayMaxMs: number;
}

/** The story's policy: up to 5 attempts, waiting 1 to 4 s at random in between. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  delayMinMs: 1000,
  delayMaxMs: 4000,
};

/** A source of numbers in [0, 1), like Math.random. */
export type Random = () => number;

export class RetryPolicyError extends Error {
  override readonly name = 'RetryPolicyError';
}

/** Checks a policy once, up front, naming the field that is wrong. */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RetryPolicyError(
      `maxAttempts must be a whole number of at least 1, not ${policy.maxAttempts}`,
    );
  }
  if (!(policy.delayMinMs >= 0)) {
    throw new RetryPolicyError(
      `delayMinMs (the shortest retry delay) must not be negative, not ${policy.delayMinMs}`,
    );
  }
  if (!Number.isFinite(policy.delayMaxMs)) {
    throw new RetryPolicyError(
      `delayMaxMs must be a finite number of milliseconds, not ${policy.delayMaxMs}`,
    );
  }
  if (!(policy.delayMaxMs >= policy.delayMinMs)) {
    throw new RetryPolicyError(
      `delayMaxMs (the longest retry delay, ${policy.delayMaxMs} ms) is shorter than ` +
        `delayMinMs (${policy.delayMinMs} ms)`,
    );
  }
  return policy;
}

/** True when another attempt is allowed after attempt number `attempt` failed transiently. */
export function mayRetry(policy: RetryPolicy, attempt: number): boolean {
  return attempt < policy.maxAttempts;
}

/**
 * The wait before the next attempt, jittered so that jobs hit by the same engine hiccup do
 * not all come back at the same moment.
 */
export function retryDelay(policy: RetryPolicy, random: Random): number {
  const span = policy.delayMaxMs - policy.delayMinMs;
  const delay = Math.round(policy.delayMinMs + random() * span);
  return Math.min(policy.delayMaxMs, Math.max(policy.delayMinMs, delay));
}
