import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultInjectingEngine, parseFaultSpec } from '../../src/engine/faults.js';
import { runJob } from '../../src/jobs/runner.js';
import { newJob, harness } from '../support/jobs.js';
import { FakeClock, ScriptedEngine, type ScriptedRun } from '../support/scripted-engine.js';

async function runWithFaults(
  faults: string[],
  script: ScriptedRun[] = [{ exitCode: 0 }],
  random = Math.random,
) {
  const scripted = new ScriptedEngine(script);
  const engine = new FaultInjectingEngine(scripted, faults.map(parseFaultSpec));
  const h = await harness(engine, random);
  const job = newJob(h.root);
  await h.store.createJob(job);

  const ended = await runJob(job, h.deps);
  const attempts = await h.store.listAttempts(job.id);
  const stored = await h.store.getJob(job.id);
  return { ended, attempts, stored, scripted, ...h };
}

describe('runner: transient engine failures', () => {
  for (const failures of [1, 2, 3, 4]) {
    it(`succeeds after ${failures + 1} attempts when ${failures} fail on create`, async () => {
      const { ended, attempts, clock, stored } = await runWithFaults([
        `create:${failures}:devicemapper`,
      ]);

      expect(ended.status).toBe('success');
      expect(stored?.status).toBe('success');
      expect(attempts).toHaveLength(failures + 1);
      for (const attempt of attempts.slice(0, failures)) {
        expect(attempt.outcome).toBe('transient');
        expect(attempt.signature).toBe('devicemapper');
        expect(attempt.phase).toBe('create');
        expect(attempt.engineMessage).toContain('dm_task_run failed');
        expect(attempt.delayMs).toBeGreaterThanOrEqual(1000);
        expect(attempt.delayMs).toBeLessThanOrEqual(4000);
      }
      expect(attempts[failures]?.outcome).toBe('success');
      expect(attempts[failures]?.delayMs).toBeNull();
      expect(clock.sleeps).toEqual(attempts.slice(0, failures).map((a) => a.delayMs));
    });
  }

  it('ends as an application error after exactly 5 attempts when all 5 fail', async () => {
    const { ended, attempts, scripted } = await runWithFaults(['create:5:dev-mapper-missing']);

    expect(ended.status).toBe('error');
    expect(ended.errorClass).toBe('application');
    expect(attempts).toHaveLength(5);
    expect(attempts.every((a) => a.outcome === 'transient')).toBe(true);
    expect(attempts[4]?.delayMs).toBeNull();
    expect(ended.message).toContain('/dev/mapper/');
    expect(ended.message).toContain('5 attempts');
    expect(scripted.created).toHaveLength(0);
  });

  it('retries failures on start and wait, and removes the container of each', async () => {
    const { ended, attempts, scripted } = await runWithFaults([
      'start:1:devicemapper',
      'wait:1:connection-reset',
    ]);

    expect(ended.status).toBe('success');
    expect(attempts.map((a) => [a.phase, a.signature])).toEqual([
      ['start', 'devicemapper'],
      ['wait', 'engine-connection-lost'],
      [null, 'exit-0'],
    ]);
    expect(scripted.removed).toHaveLength(3);
  });

  it('says in the job messages that a fault was injected', async () => {
    const { ended, store } = await runWithFaults(['create:1:devicemapper']);
    const events = await store.listEvents(ended.id);

    expect(events.some((e) => e.stream === 'runner' && e.text.includes('injected fault'))).toBe(
      true,
    );
  });

  it('keeps every delay within its bounds, whatever the random source says', async () => {
    const low = await runWithFaults(['create:2:devicemapper'], undefined, () => 0);
    const high = await runWithFaults(['create:2:devicemapper'], undefined, () => 0.999999);

    expect(low.clock.sleeps).toEqual([1000, 1000]);
    expect(high.clock.sleeps).toEqual([4000, 4000]);
  });

  it('starts each attempt from a fresh data folder', async () => {
    const leaveOutput = (dataDir: string) => {
      mkdirSync(path.join(dataDir, 'out/tables'), { recursive: true });
      writeFileSync(path.join(dataDir, 'out/tables/partial.csv'), 'a\n1\n');
    };
    const { ended, scripted, attempts } = await runWithFaults(
      ['wait:2:devicemapper'],
      [{ touch: leaveOutput }, { touch: leaveOutput }, { exitCode: 0 }],
    );

    expect(ended.status).toBe('success');
    expect(attempts).toHaveLength(3);
    expect(scripted.outAtCreate).toEqual([
      ['files', 'tables'],
      ['files', 'tables'],
      ['files', 'tables'],
    ]);
    const folders = new Set(scripted.created.map((spec) => spec.dataDir));
    expect(folders.size).toBe(3);
    for (const folder of folders) expect(existsSync(folder)).toBe(false);
  });
});

describe('runner: the component decides', () => {
  it('never retries exit 1 and tells the user what the component wrote on stderr', async () => {
    const { ended, attempts, clock } = await runWithFaults(
      [],
      [{ exitCode: 1, stdout: 'loading\n', stderr: 'column "temp" does not exist\n' }],
    );

    expect(attempts).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(ended.status).toBe('error');
    expect(ended.errorClass).toBe('user');
    expect(ended.message).toBe('column "temp" does not exist');
  });

  it('takes the message from stdout when stderr is empty', async () => {
    const { ended } = await runWithFaults([], [{ exitCode: 1, stdout: 'bad parameter x\n' }]);
    expect(ended.message).toBe('bad parameter x');
  });

  it('makes another exit code an application error, not retried', async () => {
    const { ended, attempts } = await runWithFaults([], [{ exitCode: 3, stderr: 'boom\n' }]);

    expect(attempts).toHaveLength(1);
    expect(ended.errorClass).toBe('application');
    expect(ended.message).toContain('exit code 3');
  });

  it('makes an OOM kill a user error naming the limit', async () => {
    const { ended, attempts } = await runWithFaults([], [{ exitCode: 137, oomKilled: true }]);

    expect(attempts[0]?.oomKilled).toBe(true);
    expect(attempts[0]?.signature).toBe('oom-killed');
    expect(ended.errorClass).toBe('user');
    expect(ended.message).toContain('64 MiB');
  });

  it('stops a container that runs past its timeout: a user error naming the timeout', async () => {
    const { ended, attempts, scripted } = await runWithFaults([], [{ hang: true }]);

    expect(scripted.stopped).toHaveLength(1);
    expect(attempts[0]?.signature).toBe('timeout');
    expect(ended.errorClass).toBe('user');
    expect(ended.message).toContain('1 min');
  });

  it('copies out/ to the output folder on success', async () => {
    const write = (dataDir: string) => {
      writeFileSync(path.join(dataDir, 'out/tables/result.csv'), 'x\n42\n');
    };
    const { ended } = await runWithFaults([], [{ touch: write }]);

    const copied = path.join(ended.spec.outputDir, 'tables/result.csv');
    expect(readFileSync(copied, 'utf8')).toBe('x\n42\n');
    expect(statSync(path.join(ended.spec.outputDir, 'tables')).mode & 0o777).toBe(0o755);
  });

  it('ends terminated, with the container stopped, when the job is stopped', async () => {
    const scripted = new ScriptedEngine([{ hang: true }]);
    const h = await harness(scripted);
    const clock = new FakeClock(10_000);
    const job = newJob(h.root);
    await h.store.createJob(job);
    const stop = new AbortController();

    const running = runJob(job, { ...h.deps, clock }, stop.signal);
    while (scripted.started.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    stop.abort();
    const ended = await running;

    expect(ended.status).toBe('terminated');
    expect(scripted.stopped).toHaveLength(1);
    expect(scripted.removed).toHaveLength(1);
  });

  it('never starts another container when stopped while waiting to retry', async () => {
    const scripted = new ScriptedEngine([{ exitCode: 0 }]);
    const engine = new FaultInjectingEngine(scripted, [parseFaultSpec('create:1:devicemapper')]);
    const h = await harness(engine);
    const clock = new FakeClock(500);
    const job = newJob(h.root);
    await h.store.createJob(job);
    const stop = new AbortController();

    const running = runJob(job, { ...h.deps, clock }, stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    const ended = await running;

    expect(ended.status).toBe('terminated');
    expect(scripted.created).toHaveLength(0);
    expect(await h.store.listAttempts(job.id)).toHaveLength(1);
  });

  it('copies files and folders of out/, never links that could point at the host', async () => {
    const write = (dataDir: string) => {
      writeFileSync(path.join(dataDir, 'out/tables/real.csv'), 'a\n1\n');
      symlinkSync('/etc/hostname', path.join(dataDir, 'out/files/leak.txt'));
    };
    const { ended, store } = await runWithFaults([], [{ touch: write }]);

    expect(ended.status).toBe('success');
    expect(existsSync(path.join(ended.spec.outputDir, 'tables/real.csv'))).toBe(true);
    expect(existsSync(path.join(ended.spec.outputDir, 'files/leak.txt'))).toBe(false);
    const events = await store.listEvents(ended.id);
    expect(events.some((e) => e.text.includes('files/leak.txt'))).toBe(true);
  });

  it('never creates a container when stopped during the image check', async () => {
    const scripted = new ScriptedEngine([{ exitCode: 0 }]);
    const stop = new AbortController();
    const engine = Object.assign(Object.create(scripted) as ScriptedEngine, {
      ensureImage: async () => stop.abort(),
    });
    const h = await harness(engine);
    const job = newJob(h.root);
    await h.store.createJob(job);

    const ended = await runJob(job, h.deps, stop.signal);

    expect(ended.status).toBe('terminated');
    expect(scripted.created).toHaveLength(0);
  });
});
