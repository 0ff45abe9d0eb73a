// Transient engine failures fewer than the attempt limit never change how a job ends.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_PRESETS, FaultInjectingEngine, type FaultSpec } from '../../src/engine/faults.js';
import { runJob } from '../../src/jobs/runner.js';
import { harness, newJob } from '../support/jobs.js';
import { ScriptedEngine, type ScriptedRun } from '../support/scripted-engine.js';

const TRANSIENT = ['devicemapper', 'dev-mapper-missing', 'connection-reset'].map(
  (name) => FAULT_PRESETS[name] ?? name,
);

const component = fc.record({
  exitCode: fc.constantFrom(0, 1, 2, 3, 42),
  oomKilled: fc.boolean(),
  stdout: fc.constantFrom('', 'loaded 10 rows\n'),
  stderr: fc.constantFrom('', 'column "x" does not exist\n'),
});

/** Faults on create, start and wait, fewer in all than the 5 attempts allowed. */
const schedule = fc
  .array(
    fc.record({
      phase: fc.constantFrom('create' as const, 'start' as const, 'wait' as const),
      count: fc.integer({ min: 1, max: 4 }),
      message: fc.constantFrom(...TRANSIENT),
    }),
    { maxLength: 3 },
  )
  .filter((faults) => faults.reduce((sum, fault) => sum + fault.count, 0) < 5);

async function end(run: ScriptedRun, faults: FaultSpec[]) {
  const engine = new FaultInjectingEngine(new ScriptedEngine([run]), faults);
  const h = await harness(engine);
  const job = newJob(h.root);
  await h.store.createJob(job);

  const ended = await runJob(job, h.deps);
  const attempts = await h.store.listAttempts(job.id);
  await h.store.close();
  return { ended, attempts };
}

describe('transient faults below the attempt limit', () => {
  it('end the job exactly as it ends without them', async () => {
    await fc.assert(
      fc.asyncProperty(component, schedule, async (run, faults) => {
        const clean = await end(run, []);
        const faulty = await end(run, faults);
        const failures = faults.reduce((sum, fault) => sum + fault.count, 0);

        expect(faulty.ended.status).toBe(clean.ended.status);
        expect(faulty.ended.errorClass).toBe(clean.ended.errorClass);
        expect(faulty.ended.message).toBe(clean.ended.message);
        expect(faulty.attempts).toHaveLength(failures + 1);
        expect(faulty.attempts.slice(0, failures).every((a) => a.outcome === 'transient')).toBe(
          true,
        );
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
