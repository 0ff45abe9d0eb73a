// Every graded real-world engine failure of test/fixtures/engine-errors.jsonl that happens
// at an injectable phase, run end to end once through fault injection against the real engine.

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCases } from '../support/cases.js';
import { tempDir } from '../support/jobs.js';
import { containersOf, explain, runJson, TINY } from '../support/cli.js';

const PHASES = ['create', 'start', 'wait', 'remove'];

const cases = readCases().filter((c) => c.expect.retry !== null && PHASES.includes(c.phase));

let home: string;
let env: Record<string, string>;

beforeAll(() => {
  home = tempDir('stevedore-cases-');
  env = { STEVEDORE_HOME: home };
});

describe('real-world engine failures, injected once, end to end', () => {
  it('finds the graded cases', () => {
    expect(cases.length).toBeGreaterThan(20);
  });

  for (const c of cases) {
    it(`${c.id} (${c.phase}): ${c.expect.outcome}`, async () => {
      const output = path.join(home, 'out', c.id);
      // The message goes through --inject-fault only: it may hold colons, newlines or ';;'.
      const { result, job } = await runJson(
        ['--inject-fault', `${c.phase}:1:${c.message}`, TINY, '--', 'sh', '-c', 'echo ok'],
        env,
        output,
      );
      const why = `${explain(result)}\njob: ${JSON.stringify(job.attempts, null, 1)}`;
      const outcome = c.expect.outcome;

      if (outcome.startsWith('success after retry')) {
        expect(result.code, why).toBe(0);
        expect(job.status).toBe('success');
        expect(job.attempts, why).toHaveLength(2);
        expect(job.attempts[0].outcome).toBe('transient');
        expect(job.attempts[0].phase).toBe(c.phase);
        expect(job.attempts[0].signature).not.toBe('unknown');
        expect(job.attempts[1].outcome).toBe('success');
      } else if (outcome.startsWith('cleanup-only')) {
        expect(result.code, why).toBe(0);
        expect(job.status).toBe('success');
        expect(job.errorClass).toBeNull();
        expect(job.attempts, why).toHaveLength(1);
        expect(job.attempts[0].outcome).toBe('success');
        expect(result.stderr).toContain('could not remove the container');
      } else if (outcome === 'user' || outcome === 'application') {
        expect(result.code, why).toBe(outcome === 'user' ? 1 : 2);
        expect(job.status).toBe('error');
        expect(job.errorClass).toBe(outcome);
        expect(job.attempts, why).toHaveLength(1);
        expect(job.attempts[0].outcome).toBe(outcome);
        expect(job.attempts[0].phase).toBe(c.phase);
        expect(job.attempts[0].signature).not.toBe('unknown');
      } else {
        throw new Error(`case ${c.id}: unknown expected outcome ${outcome}`);
      }
      expect(containersOf(job.id), `containers of ${job.id}`).toEqual([]);
    });
  }
});
