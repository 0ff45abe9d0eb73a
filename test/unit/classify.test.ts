import { describe, expect, it } from 'vitest';
import { classify } from '../../src/failures/classify.js';
import { DEFAULT_RULES } from '../../src/failures/rules.js';
import { engineFailed, exited, MiB } from '../support/facts.js';

const DEVICEMAPPER =
  'Error response from daemon: devicemapper: Error running deviceResume dm_task_run failed';
const DEV_MAPPER_MISSING =
  'Error response from daemon: open /dev/mapper/docker-253:1-1311060-5c3ad53e8a1f: ' +
  'no such file or directory';

describe('classify: how the component ended', () => {
  it('calls exit 0 a success', () => {
    expect(classify(exited({ exitCode: 0 }))).toMatchObject({ action: 'success', rule: 'exit-0' });
  });

  it('calls exit 1 a user error and shows the component stderr', () => {
    const decision = classify(
      exited({ exitCode: 1, stderrTail: 'column "id" is missing\n', stdoutTail: 'reading\n' }),
    );

    expect(decision).toMatchObject({ action: 'user', rule: 'exit-1' });
    expect(decision.message).toBe('column "id" is missing');
  });

  it('shows stdout for exit 1 when stderr is empty or only whitespace', () => {
    const decision = classify(
      exited({ exitCode: 1, stderrTail: '  \n', stdoutTail: 'table "in.c-main" not found\n' }),
    );

    expect(decision.action).toBe('user');
    expect(decision.message).toBe('table "in.c-main" not found');
  });

  it('says the component printed nothing when exit 1 comes with no output', () => {
    const decision = classify(exited({ exitCode: 1 }));

    expect(decision.action).toBe('user');
    expect(decision.message).toContain('exited with code 1');
    expect(decision.message).toContain('printed nothing');
  });

  for (const exitCode of [2, 126, 127, 255]) {
    it(`calls exit ${exitCode} an application error naming the exit code`, () => {
      const decision = classify(exited({ exitCode, stderrTail: 'Traceback: boom' }));

      expect(decision).toMatchObject({ action: 'application', rule: 'exit-other' });
      expect(decision.message).toContain(`exit code ${exitCode}`);
      expect(decision.message).toContain('Traceback: boom');
    });
  }

  it('calls an OOM kill a user error naming the memory limit in MiB', () => {
    const decision = classify(exited({ exitCode: 137, oomKilled: true, memoryBytes: 256 * MiB }));

    expect(decision).toMatchObject({ action: 'user', rule: 'oom-killed' });
    expect(decision.message).toContain('256 MiB');
    expect(decision.message).toContain('--memory');
  });

  for (const exitCode of [137, 139, 143]) {
    it(`says exit ${exitCode} is a signal, not an OOM kill, unless the engine says so`, () => {
      const decision = classify(exited({ exitCode, oomKilled: false }));

      expect(decision).toMatchObject({ action: 'application', rule: 'killed-by-signal' });
      expect(decision.message).toContain(`exit code ${exitCode}`);
      expect(decision.message).toContain('killed by a signal');
      expect(decision.message).not.toMatch(/used more than its memory limit/);
    });
  }

  it('calls a timeout a user error naming the timeout', () => {
    const decision = classify(exited({ exitCode: 143, timedOut: true, timeoutMs: 90_000 }));

    expect(decision).toMatchObject({ action: 'user', rule: 'timeout' });
    expect(decision.message).toContain('1 min 30 s');
    expect(decision.message).toContain('--timeout');
  });

  for (const exitCode of [0, 1, 137]) {
    it(`lets a timeout decide over exit code ${exitCode}`, () => {
      const decision = classify(exited({ exitCode, timedOut: true, timeoutMs: 30_000 }));

      expect(decision.rule).toBe('timeout');
      expect(decision.message).toContain('30 s');
    });
  }
});

describe('classify: the engine failures of the story are retried', () => {
  for (const phase of ['create', 'start', 'wait'] as const) {
    it(`retries the devicemapper deviceResume error on ${phase}`, () => {
      const decision = classify(engineFailed(DEVICEMAPPER, phase));

      expect(decision).toMatchObject({ action: 'retry', rule: 'devicemapper' });
      expect(decision.message).toContain(DEVICEMAPPER);
    });

    it(`retries the missing /dev/mapper device error on ${phase}`, () => {
      const decision = classify(engineFailed(DEV_MAPPER_MISSING, phase));

      expect(decision).toMatchObject({ action: 'retry', rule: 'dev-mapper-missing' });
      expect(decision.message).toContain(DEV_MAPPER_MISSING);
    });
  }
});

describe('classify: devicemapper failures in other words', () => {
  const variants = [
    'devmapper: Unknown device 3a9c6e0f2b7d',
    'Error running DeviceCreate dm_task_run failed',
    'Error response from daemon: DEVICEMAPPER: cookie semaphore exhausted',
  ];
  for (const message of variants) {
    it(`retries "${message}" as a devicemapper failure`, () => {
      expect(classify(engineFailed(message, 'create'))).toMatchObject({
        action: 'retry',
        rule: 'devicemapper',
      });
    });
  }
});

describe('classify: other engine failures', () => {
  it('retries when the engine module reports the engine unavailable, whatever the text', () => {
    const decision = classify(
      engineFailed('something odd happened', 'start', { errorKind: 'unavailable' }),
    );

    expect(decision).toMatchObject({ action: 'retry', rule: 'engine-connection-lost' });
  });

  const lostConnection = [
    'read tcp 10.0.0.2:51234->10.0.0.1:2376: read: ECONNRESET',
    'read unix @->/var/run/docker.sock: read: connection reset by peer',
    'socket hang up',
    'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is it running?',
  ];
  for (const message of lostConnection) {
    it(`retries a lost engine connection: ${message}`, () => {
      expect(classify(engineFailed(message, 'wait'))).toMatchObject({
        action: 'retry',
        rule: 'engine-connection-lost',
      });
    });
  }

  it('calls an image the engine reports missing a user error', () => {
    const decision = classify(engineFailed('pull failed', 'pull', { errorKind: 'image-missing' }));

    expect(decision).toMatchObject({ action: 'user', rule: 'image-missing' });
  });

  it('retries "No such image" on create: the attempt had the image a moment before', () => {
    const decision = classify(engineFailed('No such image: keboola/ex-nothing:1.0', 'create'));

    expect(decision).toMatchObject({ action: 'retry', rule: 'image-vanished' });
    expect(decision.message).toContain('keboola/ex-nothing:1.0');
  });

  it('calls an unknown manifest on pull a user error naming the image', () => {
    const message = 'manifest for keboola/ex-nothing:1.0 not found: manifest unknown';
    const decision = classify(engineFailed(message, 'pull', { errorKind: 'image-missing' }));

    expect(decision).toMatchObject({ action: 'user', rule: 'image-missing' });
    expect(decision.message).toContain('keboola/ex-nothing:1.0');
  });

  it('calls a command missing from the image a user error', () => {
    const message =
      'OCI runtime create failed: runc create failed: unable to start container process: ' +
      'exec: "run.sh": executable file not found in $PATH: unknown';

    expect(classify(engineFailed(message, 'start'))).toMatchObject({
      action: 'user',
      rule: 'executable-not-found',
    });
  });

  it('calls an engine message no rule knows an application error and keeps it whole', () => {
    const message = 'Error response from daemon: the flux capacitor: is: out of sync (code 88)';
    const decision = classify(engineFailed(message, 'start'));

    expect(decision).toMatchObject({ action: 'application', rule: 'unknown' });
    expect(decision.message).toContain(message);
    expect(decision.message).toContain('start');
  });

  it('still answers "unknown" when a custom rule list matches nothing', () => {
    const decision = classify(engineFailed(DEVICEMAPPER, 'create'), []);

    expect(decision).toMatchObject({ action: 'application', rule: 'unknown' });
    expect(decision.message).toContain(DEVICEMAPPER);
  });

  it('gives every default rule a distinct name and a description', () => {
    const names = DEFAULT_RULES.map((rule) => rule.name);

    expect(new Set(names).size).toBe(names.length);
    for (const rule of DEFAULT_RULES) expect(rule.description.length).toBeGreaterThan(10);
  });
});
