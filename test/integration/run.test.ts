// `stevedore run` against the real container engine: outcomes, limits, injected engine
// failures, large output, and nothing left behind.

import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/jobs.js';
import { containersOf, explain, jobOf, runJson, stevedore, TINY } from '../support/cli.js';

let home: string;
let env: Record<string, string>;
const jobIds: string[] = [];

beforeAll(() => {
  home = tempDir('stevedore-run-');
  env = { STEVEDORE_HOME: home };
});

afterEach(() => {
  for (const id of jobIds.splice(0)) expect(containersOf(id), `containers of ${id}`).toEqual([]);
});

let runs = 0;

async function run(args: string[], extraEnv: Record<string, string> = {}) {
  runs += 1;
  const ran = await runJson(args, { ...env, ...extraEnv }, path.join(home, 'out', `run-${runs}`));
  jobIds.push(ran.job.id);
  return ran;
}

describe('stevedore run on the real engine', () => {
  it('exit 0: success, the output copied, the KBC_ variables and /data given', async () => {
    const script =
      'cat /data/config.json > /data/out/tables/config.csv; ' +
      'env | grep ^KBC_ | sort > /data/out/files/env.txt; echo done';
    const { result, job, output } = await run([
      '--config',
      '{"parameters":{"answer":42}}',
      TINY,
      '--',
      'sh',
      '-c',
      script,
    ]);

    expect(result.code, explain(result)).toBe(0);
    expect(job.status).toBe('success');
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0].signature).toBe('exit-0');
    expect(job.outputDir).toBe(output);
    expect(JSON.parse(readFileSync(path.join(output, 'tables/config.csv'), 'utf8'))).toEqual({
      parameters: { answer: 42 },
    });
    const vars = readFileSync(path.join(output, 'files/env.txt'), 'utf8');
    expect(vars).toContain('KBC_DATADIR=/data/');
    expect(vars).toContain(`KBC_RUNID=${job.id}`);
    expect(result.stderr).toContain('done');
  });

  it('exit 1: a user error with the message the component wrote on stderr', async () => {
    const { result, job } = await run([
      TINY,
      '--',
      'sh',
      '-c',
      'echo "no such column: temp" >&2; exit 1',
    ]);

    expect(result.code, explain(result)).toBe(1);
    expect(job.status).toBe('error');
    expect(job.errorClass).toBe('user');
    expect(job.message).toBe('no such column: temp');
    expect(job.attempts).toHaveLength(1);
  });

  it('exit 3: an application error, not retried', async () => {
    const { result, job } = await run([TINY, '--', 'sh', '-c', 'echo crashed >&2; exit 3']);

    expect(result.code, explain(result)).toBe(2);
    expect(job.errorClass).toBe('application');
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0].exitCode).toBe(3);
  });

  it('an OOM kill under --memory 32m: a user error naming the limit', async () => {
    const { result, job } = await run([
      '--memory',
      '32m',
      TINY,
      '--',
      'sh',
      '-c',
      'dd if=/dev/zero of=/dev/null bs=64M count=1',
    ]);

    expect(result.code, explain(result)).toBe(1);
    expect(job.errorClass).toBe('user');
    expect(job.attempts[0].oomKilled).toBe(true);
    expect(job.attempts[0].signature).toBe('oom-killed');
    expect(job.message).toContain('32 MiB');
  });

  it('a timeout: the container is stopped, a user error naming the timeout', async () => {
    const started = Date.now();
    const { result, job } = await run([
      '--timeout',
      '2s',
      '--stop-grace',
      '1s',
      TINY,
      '--',
      'sleep',
      '300',
    ]);

    expect(result.code, explain(result)).toBe(1);
    expect(job.attempts[0].signature).toBe('timeout');
    expect(job.message).toContain('2 s');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  for (const phase of ['create', 'start', 'wait']) {
    it(`two devicemapper faults injected on ${phase}: success on the third attempt`, async () => {
      const { result, job } = await run([
        '--inject-fault',
        `${phase}:2:devicemapper`,
        TINY,
        '--',
        'sh',
        '-c',
        'echo hello',
      ]);

      expect(result.code, explain(result)).toBe(0);
      expect(job.attempts.map((a: { outcome: string }) => a.outcome)).toEqual([
        'transient',
        'transient',
        'success',
      ]);
      expect(job.attempts[0].signature).toBe('devicemapper');
      expect(job.attempts[0].phase).toBe(phase);
      expect(job.attempts[0].engineMessage).toContain('dm_task_run failed');
      expect(job.attempts[0].delayMs).toBeGreaterThanOrEqual(10);
    });
  }

  it('STEVEDORE_INJECT_FAULTS past the attempt limit: an application error', async () => {
    const { result, job } = await run(['--max-attempts', '3', TINY, '--', 'true'], {
      STEVEDORE_INJECT_FAULTS: 'create:5:dev-mapper-missing',
    });

    expect(result.code, explain(result)).toBe(2);
    expect(job.errorClass).toBe('application');
    expect(job.attempts).toHaveLength(3);
    expect(job.message).toContain('/dev/mapper/');
    expect(job.message).toContain('3 attempts');
  });

  it('a failed remove never changes the result, and the container is still removed', async () => {
    const { result, job } = await run([
      '--inject-fault',
      'remove:1:device or resource busy',
      TINY,
      '--',
      'true',
    ]);

    expect(result.code, explain(result)).toBe(0);
    expect(job.status).toBe('success');
    expect(result.stderr).toContain('could not remove the container');
  });

  it('jobs show explains the attempts of a job the engine failed twice', async () => {
    const { job } = await run(['--inject-fault', 'create:2:devicemapper', TINY, '--', 'true']);
    const shown = await stevedore(['jobs', 'show', job.id], env);

    expect(shown.code, explain(shown)).toBe(0);
    expect(shown.stdout).toContain('Took 3 attempts');
    expect(shown.stdout).toContain('devicemapper');
  });

  it('a missing image: a user error, not retried', async () => {
    const { result, job } = await run(['stevedore-test/does-not-exist:latest']);

    expect(result.code, explain(result)).toBe(1);
    expect(job.errorClass).toBe('user');
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0].signature).toBe('image-missing');
  });

  it('--pull never: a present image runs, a missing one is a user error saying why', async () => {
    const present = await run(['--pull', 'never', TINY, '--', 'true']);
    const missing = await run(['--pull', 'never', 'stevedore-test/not-here:latest']);

    expect(present.result.code, explain(present.result)).toBe(0);
    expect(missing.result.code, explain(missing.result)).toBe(1);
    expect(missing.job.attempts[0].signature).toBe('image-missing');
    expect(missing.job.message).toContain('--pull never');
  });

  it('SIGTERM to stevedore stops the job: terminated, exit 143, nothing left running', async () => {
    let pid = 0;
    let seen = '';
    const running = stevedore(
      [
        'run',
        '--json',
        '--network',
        'none',
        '--stop-grace',
        '1s',
        TINY,
        '--',
        'sh',
        '-c',
        'echo started; sleep 300',
      ],
      env,
      { onSpawn: (spawned) => (pid = spawned), onStderr: (text) => (seen += text) },
    );

    // The component's first line proves its container runs and stevedore handles signals.
    await waitFor(async () => seen.includes('started'));
    process.kill(pid, 'SIGTERM');
    const result = await running;
    const job = jobOf(result);
    jobIds.push(job.id);

    expect(result.code, explain(result)).toBe(143);
    expect(job.status).toBe('terminated');
    expect(job.attempts[0].signature).toBe('terminated');
  });
});

describe('inputs', () => {
  it('--data-dir copied, never modified; --config, tables, files and --env added', async () => {
    const prepared = tempDir('stevedore-prepared-');
    mkdirSync(path.join(prepared, 'in/tables'), { recursive: true });
    writeFileSync(path.join(prepared, 'in/tables/kept.csv'), 'a\n1\n');
    writeFileSync(path.join(prepared, 'in/state.json'), '{"last": 7}');
    writeFileSync(path.join(prepared, 'config.json'), '{"parameters": {"from": "folder"}}');
    const table = path.join(prepared, '..', `cities-${Date.now()}.csv`);
    writeFileSync(table, 'city\nPrague\n');
    const file = path.join(prepared, '..', `notes-${Date.now()}.txt`);
    writeFileSync(file, 'remember\n');
    const before = listTree(prepared);

    const script = [
      'cp /data/in/tables/kept.csv /data/in/tables/cities.csv /data/out/tables/',
      'cp /data/in/state.json /data/config.json /data/out/files/',
      `cp /data/in/files/${path.basename(file)} /data/out/files/notes.txt`,
      'echo "$GREETING" > /data/out/files/greeting.txt',
      'rm -rf /data/in',
    ].join(' && ');
    const { result, output } = await run([
      '--data-dir',
      prepared,
      '--config',
      '{"parameters": {"from": "flag"}}',
      '--input-table',
      `cities=${table}`,
      '--input-file',
      file,
      '--env',
      'GREETING=hello there',
      TINY,
      '--',
      'sh',
      '-c',
      script,
    ]);

    expect(result.code, explain(result)).toBe(0);
    const read = (name: string) => readFileSync(path.join(output, name), 'utf8');
    expect(read('tables/kept.csv')).toBe('a\n1\n');
    expect(read('tables/cities.csv')).toBe('city\nPrague\n');
    expect(JSON.parse(read('files/state.json'))).toEqual({ last: 7 });
    expect(JSON.parse(read('files/config.json'))).toEqual({ parameters: { from: 'flag' } });
    expect(read('files/notes.txt')).toBe('remember\n');
    expect(read('files/greeting.txt')).toBe('hello there\n');
    expect(listTree(prepared)).toEqual(before);
  });

  it('shows output live, before the container ends', async () => {
    let firstLineAt = 0;
    const started = Date.now();
    const result = await stevedore(
      ['run', '--network', 'none', TINY, '--', 'sh', '-c', 'echo first; sleep 3; echo second'],
      env,
      {
        onStdout: (text) => {
          if (!firstLineAt && text.includes('first')) firstLineAt = Date.now();
        },
      },
    );
    const endedAt = Date.now();

    expect(result.code, explain(result)).toBe(0);
    expect(result.stdout).toBe('first\nsecond\n');
    expect(firstLineAt - started).toBeGreaterThan(0);
    expect(endedAt - firstLineAt).toBeGreaterThan(2000);
    jobIds.push(/job (\w+): success/.exec(result.stderr)?.[1] ?? 'missing');
  });
});

describe('large output', () => {
  // The heap is capped: a runner whose memory grew with the output would die, not just swell.
  const cappedHeap = { NODE_OPTIONS: '--max-old-space-size=32' };
  const line = '0123456789012345678901234567890123456789012345678';

  async function printBytes(bytes: number) {
    let pid = 0;
    let peakKb = 0;
    const sampler = setInterval(() => {
      const status = pid ? readStatus(pid) : '';
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peakKb = Math.max(peakKb, rss);
    }, 50);

    const output = path.join(home, 'out', `large-${bytes}`);
    const result = await stevedore(
      [
        'run',
        '--network',
        'none',
        '--output',
        output,
        TINY,
        '--',
        'sh',
        '-c',
        `yes ${line} | head -c ${bytes}`,
      ],
      { ...env, ...cappedHeap },
      { onSpawn: (spawned) => (pid = spawned) },
    );
    clearInterval(sampler);
    return { result, peakKb };
  }

  it('50 MB of output reaches stdout whole while the runner stays within its memory', async () => {
    const small = await printBytes(1024 * 1024);
    const large = await printBytes(50 * 1024 * 1024);

    expect(small.result.code, explain(small.result)).toBe(0);
    expect(large.result.code, large.result.stderr).toBe(0);
    expect(large.result.stdout.length).toBe(50 * 1024 * 1024);
    expect(large.result.stdout.endsWith(`${line}\n`)).toBe(true);
    expect(large.peakKb - small.peakKb).toBeLessThan(40 * 1024);

    const id = /job (\w+): success/.exec(large.result.stderr)?.[1] ?? '';
    jobIds.push(id);
    const shown = await stevedore(['jobs', 'show', id, '--json'], env);
    expect(JSON.parse(shown.stdout).droppedEvents).toBeGreaterThan(1_000_000);
  }, 180_000);
});

describe('usage errors run nothing', () => {
  it.each([
    [['--memory', 'lots', TINY], '--memory'],
    [['--config', '{"parameters": ', TINY], 'not valid JSON'],
    [['--config', '/nonexistent/config.json', TINY], 'cannot read'],
    [['--input-table', 'weather=/nonexistent.csv', TINY], 'does not exist'],
    [['--timeout', '10', TINY], '--timeout'],
    [['--inject-fault', 'boot:1:x', TINY], 'phase'],
    [['--no-such-flag', TINY], 'unknown option'],
    [['--timeout', '0s', TINY], 'shorter than the shortest'],
    [['--output', '/proc/stevedore-cannot-be-here', TINY], 'cannot create'],
    [['--output', '/etc', TINY], 'not empty'],
    [
      ['--input-file', '/etc/hostname', '--input-file', '/proc/sys/kernel/hostname', TINY],
      'two files are named',
    ],
    [['Not An Image!'], 'not an image name'],
    [['--memory', '99999999999g', TINY], 'more than 1024g'],
  ])('%j exits 64 naming the problem', async (args, words) => {
    const listed = await stevedore(['jobs', 'list', '--json', '--limit', '1000'], env);
    const before = JSON.parse(listed.stdout).length;
    const result = await stevedore(['run', ...args], env);

    expect(result.code, explain(result)).toBe(64);
    expect(result.stderr).toContain(words);
    const again = await stevedore(['jobs', 'list', '--json', '--limit', '1000'], env);
    expect(JSON.parse(again.stdout).length).toBe(before);
  });
});

describe('stevedore gc', () => {
  it('cleans up after a killed run and leaves a running one alone', async () => {
    const sleeper = ['run', '--json', '--network', 'none', '--stop-grace', '1s', TINY, '--', 'sh'];
    const start = async () => {
      let pid = 0;
      let seen = '';
      const ended = stevedore([...sleeper, '-c', 'echo started; sleep 300'], env, {
        onSpawn: (spawned) => (pid = spawned),
        onStderr: (text) => (seen += text),
      });
      await waitFor(async () => seen.includes('started'));
      return { pid, ended };
    };
    const processing = async () => {
      const listed = await stevedore(['jobs', 'list', '--json', '--status', 'processing'], env);
      return (JSON.parse(listed.stdout) as { id: string }[]).map((job) => job.id);
    };

    const killed = await start();
    process.kill(killed.pid, 'SIGKILL');
    await killed.ended;
    const [killedJob = ''] = await processing();
    expect(containersOf(killedJob)).toHaveLength(1);

    const alive = await start();
    const aliveJob = (await processing()).find((id) => id !== killedJob) ?? '';
    const gc = await stevedore(['gc', '--json'], env);
    const cleaned = JSON.parse(gc.stdout);

    expect(gc.code, explain(gc)).toBe(0);
    expect(cleaned.jobs).toEqual([killedJob]);
    expect(containersOf(killedJob)).toEqual([]);
    expect(containersOf(aliveJob)).toHaveLength(1);
    const shown = await stevedore(['jobs', 'show', killedJob, '--json'], env);
    expect(JSON.parse(shown.stdout).status).toBe('terminated');

    process.kill(alive.pid, 'SIGTERM');
    expect((await alive.ended).code).toBe(143);
    jobIds.push(killedJob, aliveJob);
  });
});

describe('jobs commands', () => {
  it('exit 64 on a bad flag or a missing id, and 1 on an unknown id', async () => {
    const missing = await stevedore(['jobs', 'show'], env);
    const bogus = await stevedore(['jobs', 'list', '--bogus'], env);
    const unknown = await stevedore(['jobs', 'show', 'NOSUCHJOB'], env);

    expect(missing.code, explain(missing)).toBe(64);
    expect(bogus.code, explain(bogus)).toBe(64);
    expect(unknown.code, explain(unknown)).toBe(1);
    expect(unknown.stderr).toContain('no job with id NOSUCHJOB');
  });

  it('a STEVEDORE_HOME that cannot hold the database: exit 64 saying so', async () => {
    const result = await stevedore(['jobs', 'list'], { STEVEDORE_HOME: '/proc/stevedore-home' });

    expect(result.code, explain(result)).toBe(64);
    expect(result.stderr).toContain('set STEVEDORE_HOME to a folder you can write');
  });
});

/** Every path under a folder with its size and modification time, to see that nothing changed. */
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((name) => {
      const stats = statSync(path.join(dir, name));
      return `${name} ${stats.size} ${stats.mtimeMs}`;
    });
}

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out waiting');
}
