import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { jobsCommand } from '../../src/cli/jobs.js';
import type { Attempt, Job, JobEvent } from '../../src/jobs/model.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const JOB_ID = '01HY5Z8Q9W3V2K7T6R4P1N0M8A';
const OTHER_ID = '01HY5Z8Q9W3V2K7T6R4P1N0M8B';
const DEVICEMAPPER = 'devmapper: Thin Pool has 162 free data blocks which is less than minimum';

const job: Job = {
  id: JOB_ID,
  status: 'success',
  errorClass: null,
  message: 'done',
  spec: {
    image: 'example/component:1.0',
    command: null,
    config: { parameters: { '#token': 'never printed' } },
    inputTables: {},
    inputFiles: [],
    dataDir: null,
    env: {},
    memoryBytes: 256 * 1024 * 1024,
    network: 'none',
    timeoutMs: 60_000,
    maxAttempts: 3,
    retryDelayMinMs: 1_000,
    retryDelayMaxMs: 5_000,
    outputDir: '/tmp/stevedore-out/job',
    projectId: '1',
    componentId: 'example.component',
    configId: '2',
  },
  createdAt: '2024-05-01T12:00:00.000Z',
  startedAt: '2024-05-01T12:00:00.500Z',
  finishedAt: '2024-05-01T12:00:09.000Z',
  droppedEvents: 0,
};

function transient(number: number, startedAt: string, finishedAt: string, delayMs: number) {
  return attempt(number, {
    startedAt,
    finishedAt,
    outcome: 'transient',
    signature: 'devicemapper',
    engineMessage: DEVICEMAPPER,
    phase: 'create',
    delayMs,
  });
}

function attempt(number: number, fields: Partial<Attempt>): Attempt {
  return {
    jobId: JOB_ID,
    number,
    containerId: null,
    engineHost: 'unix:///var/run/docker.sock',
    startedAt: '2024-05-01T12:00:00.500Z',
    finishedAt: null,
    exitCode: null,
    oomKilled: false,
    outcome: null,
    signature: null,
    engineMessage: null,
    phase: null,
    delayMs: null,
    ...fields,
  };
}

describe('stevedore jobs', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stevedore-cli-'));
    file = join(dir, 'stevedore.db');

    const store = await openSqliteStore(file);
    await store.createJob(job);
    await store.addAttempt(
      transient(1, '2024-05-01T12:00:00.500Z', '2024-05-01T12:00:00.800Z', 1200),
    );
    await store.addAttempt(
      transient(2, '2024-05-01T12:00:02.000Z', '2024-05-01T12:00:02.400Z', 2300),
    );
    await store.addAttempt(
      attempt(3, {
        startedAt: '2024-05-01T12:00:04.700Z',
        finishedAt: '2024-05-01T12:00:09.000Z',
        containerId: '0123456789abcdef0123456789abcdef',
        exitCode: 0,
        outcome: 'success',
        signature: 'success',
      }),
    );
    await store.addEvents([
      event('2024-05-01T12:00:07.000Z', 'reading input'),
      event('2024-05-01T12:00:08.000Z', 'wrote 42 rows'),
    ]);
    await store.close();
  });

  afterEach(async () => {
    process.exitCode = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function run(...args: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const command = jobsCommand({ openStore: () => openSqliteStore(file), stdout, stderr });
    await command.parseAsync(args, { from: 'user' });
    return { out: read(stdout), err: read(stderr) };
  }

  it('shows the attempts and why the job took three of them', async () => {
    const { out, err } = await run('show', JOB_ID.slice(0, 8).toLowerCase());

    expect(err).toBe('');
    expect(out).toContain(JOB_ID);
    expect(out).toContain('/tmp/stevedore-out/job');
    expect(out).toContain(
      'Took 3 attempts: 2 failed on engine errors (devicemapper x2); ' +
        'waited 3.5 s for retries in all; the failed attempts ran 700 ms.',
    );

    const attemptLines = out.split('\n').filter((line) => /^[123] {2}/.test(line));
    expect(attemptLines).toHaveLength(3);
    expect(attemptLines[0]).toMatch(/transient\s+devicemapper.*1\.2 s\s+create: devmapper/);
    expect(attemptLines[1]).toMatch(/transient\s+devicemapper.*2\.3 s\s+create: devmapper/);
    expect(attemptLines[2]).toMatch(/success.*0\s+0123456789ab\s+4\.3 s/);
    expect(attemptLines[2]).not.toContain('0123456789abc');

    expect(out).toContain('wrote 42 rows');
    expect(out).not.toContain('never printed');
    expect(process.exitCode).toBeUndefined();
  });

  it('prints one JSON object with three attempts and no events unless asked', async () => {
    const { out } = await run('show', JOB_ID, '--json');
    const shown = JSON.parse(out) as Record<string, unknown> & { attempts: unknown[] };

    expect(shown).toMatchObject({
      id: JOB_ID,
      status: 'success',
      image: 'example/component:1.0',
      outputDir: '/tmp/stevedore-out/job',
      droppedEvents: 0,
    });
    expect(shown.attempts).toHaveLength(3);
    expect(shown.attempts[0]).toEqual({
      number: 1,
      outcome: 'transient',
      signature: 'devicemapper',
      exitCode: null,
      containerId: null,
      engineHost: 'unix:///var/run/docker.sock',
      engineMessage: DEVICEMAPPER,
      phase: 'create',
      startedAt: '2024-05-01T12:00:00.500Z',
      finishedAt: '2024-05-01T12:00:00.800Z',
      delayMs: 1200,
      oomKilled: false,
    });
    expect(shown).not.toHaveProperty('events');
    expect(shown).not.toHaveProperty('spec');

    const withEvents = JSON.parse((await run('show', JOB_ID, '--json', '--events', '1')).out);
    expect(withEvents.events).toEqual([
      {
        attempt: 3,
        time: '2024-05-01T12:00:08.000Z',
        stream: 'stdout',
        level: 'info',
        text: 'wrote 42 rows',
      },
    ]);
  });

  it('lists jobs as JSON and as a table', async () => {
    const listed = JSON.parse((await run('list', '--json')).out) as unknown[];
    expect(listed).toEqual([expect.objectContaining({ id: JOB_ID, attemptCount: 3 })]);

    const table = (await run('list')).out.split('\n');
    expect(table[0]).toMatch(/^ID\s+STATUS\s+ERROR\s+IMAGE\s+CREATED\s+DURATION\s+ATTEMPTS$/);
    expect(table[1]).toMatch(new RegExp(`^${JOB_ID}\\s+success\\s+-\\s+example/component:1.0`));
    expect(table[1]).toMatch(/8\.5 s\s+3$/);

    expect((await run('list', '--status', 'error')).out).toBe('no jobs with status error\n');
  });

  it('exits with 1 for an unknown id and says where to look', async () => {
    const { out, err } = await run('show', '01HX');

    expect(out).toBe('');
    expect(err).toBe('no job with id 01HX (see `stevedore jobs list`)\n');
    expect(process.exitCode).toBe(1);
  });

  it('exits with 1 for an ambiguous prefix', async () => {
    const store = await openSqliteStore(file);
    await store.createJob({ ...job, id: OTHER_ID });
    await store.close();

    const { err } = await run('show', '01HY5Z');

    expect(err).toContain('ambiguous');
    expect(err).toContain('2 job ids');
    expect(process.exitCode).toBe(1);
  });
});

function event(time: string, text: string): JobEvent {
  return { jobId: JOB_ID, attempt: 3, time, stream: 'stdout', level: 'info', text };
}

function read(stream: PassThrough): string {
  const chunks: Buffer[] = [];
  let chunk: Buffer | null;
  while ((chunk = stream.read() as Buffer | null) !== null) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
