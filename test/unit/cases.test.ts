// Every graded case of the collected real-world engine failures is a test of classify.

import { describe, expect, it } from 'vitest';
import type { EnginePhase } from '../../src/engine/errors.js';
import { classify } from '../../src/failures/classify.js';
import type { Action, EngineFailureFacts } from '../../src/failures/facts.js';
import { readCases, type EngineCase } from '../support/cases.js';

/**
 * Cases reported by the docker client itself (`cli`) or its `logs`, mapped to the engine call
 * stevedore would have made: reaching the engine at all is the first call of an attempt that
 * has its image (create); a container found not running or restarting is met when starting
 * and attaching to it (start); a bad image reference is met when the image is pulled (pull).
 */
const CLI_PHASES: Record<string, EnginePhase> = {
  'exit126-daemon-socket-permission': 'create',
  'socket-reset-daemon-crashloop': 'create',
  'daemon-unreachable-intermittent-kubelet': 'create',
  'not-running-exec-race': 'start',
  'restarting-crashloop': 'start',
  'invalid-reference-format': 'pull',
};
const ENGINE_PHASES = ['pull', 'create', 'start', 'wait', 'inspect', 'stop', 'remove'];

function phaseOf(c: EngineCase): EnginePhase {
  if (ENGINE_PHASES.includes(c.phase)) return c.phase as EnginePhase;
  return CLI_PHASES[c.id] ?? (c.phase === 'logs' ? 'wait' : 'create');
}

function factsOf(c: EngineCase): EngineFailureFacts {
  return {
    kind: 'engine',
    phase: phaseOf(c),
    errorKind: 'other',
    httpStatus: c.http_status,
    exitCode: c.exit_code,
    engineMessage: c.message,
  };
}

/** The action a case's expectation asks for; null for an ungraded case. */
function expectedAction(c: EngineCase): Action | null {
  if (c.expect.retry === null) return null;
  if (c.expect.outcome.startsWith('cleanup-only')) return 'ignore';
  if (c.expect.retry) return 'retry';
  if (c.expect.outcome === 'user' || c.expect.outcome === 'application') return c.expect.outcome;
  throw new Error(`case ${c.id}: cannot read the expected outcome "${c.expect.outcome}"`);
}

describe('classify: the collected engine failures', () => {
  const cases = readCases();

  it('reads the collection', () => {
    expect(cases.length).toBeGreaterThan(40);
  });

  for (const c of cases) {
    const expected = expectedAction(c);
    if (expected === null) {
      it(`answers something for the ungraded case ${c.id}`, () => {
        const decision = classify(factsOf(c));
        expect(['retry', 'user', 'application', 'ignore']).toContain(decision.action);
      });
      continue;
    }

    it(`${expected === 'retry' ? 'retries' : `answers ${expected} for`} ${c.id}`, () => {
      const decision = classify(factsOf(c));

      expect(decision.action).toBe(expected);
      expect(decision.rule).not.toBe('unknown');
    });
  }
});
