import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Attempt, Job, JobEvent } from '../../src/jobs/model.js';
import {
  AmbiguousJobIdError,
  AttemptNotFoundError,
  JobNotFoundError,
} from '../../src/store/errors.js';
import { openStore, stevedoreHome } from '../../src/store/open.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { JobStore } from '../../src/store/types.js';

function makeJob(id: string, overrides: Partial<Job> = {}): Job {
  return {
    id,
    status: 'created',
    errorClass: null,
    message: null,
    spec: {
      image: 'example/component:1.0',
      command: null,
      config: { parameters: { '#token': 'secret' } },
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
      outputDir: '/tmp/out',
      projectId: '1',
      componentId: 'example.component',
      configId: '2',
    },
    createdAt: '2024-05-01T12:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    droppedEvents: 0,
    ...overrides,
  };
}

function makeAttempt(jobId: string, number: number, overrides: Partial<Attempt> = {}): Attempt {
  return {
    jobId,
    number,
    containerId: null,
    engineHost: 'unix:///var/run/docker.sock',
    startedAt: `2024-05-01T12:00:0${number}.000Z`,
    finishedAt: null,
    exitCode: null,
    oomKilled: false,
    outcome: null,
    signature: null,
    engineMessage: null,
    phase: null,
    delayMs: null,
    ...overrides,
  };
}

const JOB_A = '01HY0000000000000000000AAA';
const JOB_B = '01HY0000000000000000000ABB';
const JOB_C = '01HZ0000000000000000000CCC';

describe('SQLite job store', () => {
  let dir: string;
  let file: string;
  let store: JobStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stevedore-store-'));
    file = join(dir, 'nested', 'stevedore.db');
    store = await openSqliteStore(file);
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, updates and gets a job, spec included', async () => {
    const job = makeJob(JOB_A);
    await store.createJob(job);

    expect(await store.getJob(JOB_A)).toEqual(job);

    await store.updateJob(JOB_A, {
      status: 'error',
      errorClass: 'application',
      message: 'boom',
      startedAt: '2024-05-01T12:00:01.000Z',
      finishedAt: '2024-05-01T12:00:05.000Z',
      droppedEvents: 7,
    });
    await store.updateJob(JOB_A, { message: null });

    expect(await store.getJob(JOB_A)).toEqual({
      ...job,
      status: 'error',
      errorClass: 'application',
      message: null,
      startedAt: '2024-05-01T12:00:01.000Z',
      finishedAt: '2024-05-01T12:00:05.000Z',
      droppedEvents: 7,
    });
  });

  it('refuses to update a job that does not exist', async () => {
    await expect(store.updateJob('nope', { status: 'success' })).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
  });

  it('finds a job by a prefix in any case and refuses an ambiguous one', async () => {
    await store.createJob(makeJob(JOB_A));
    await store.createJob(makeJob(JOB_B));
    await store.createJob(makeJob(JOB_C));

    expect((await store.getJob('01hz'))?.id).toBe(JOB_C);
    expect((await store.getJob(JOB_A.toLowerCase()))?.id).toBe(JOB_A);
    expect((await store.getJob('01HY0000000000000000000AB'))?.id).toBe(JOB_B);
    expect(await store.getJob('01HX')).toBeUndefined();
    expect(await store.getJob('01H%')).toBeUndefined();
    expect(await store.getJob('')).toBeUndefined();

    const error = await store.getJob('01HY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousJobIdError);
    expect((error as AmbiguousJobIdError).matches).toBe(2);
  });

  it('lists jobs newest first, by status and up to a limit', async () => {
    await store.createJob(makeJob(JOB_A, { createdAt: '2024-05-01T12:00:00.000Z' }));
    await store.createJob(
      makeJob(JOB_B, { createdAt: '2024-05-01T12:00:01.000Z', status: 'success' }),
    );
    await store.createJob(
      makeJob(JOB_C, { createdAt: '2024-05-01T12:00:02.000Z', status: 'success' }),
    );

    expect((await store.listJobs()).map((job) => job.id)).toEqual([JOB_C, JOB_B, JOB_A]);
    expect((await store.listJobs({ limit: 2 })).map((job) => job.id)).toEqual([JOB_C, JOB_B]);

    const successes = await store.listJobs({ status: 'success', limit: 1 });
    expect(successes.map((job) => job.id)).toEqual([JOB_C]);

    expect(await store.listJobs({ status: 'processing' })).toEqual([]);
  });

  it('adds, updates and lists attempts in order', async () => {
    await store.createJob(makeJob(JOB_A));
    await store.addAttempt(makeAttempt(JOB_A, 2));
    await store.addAttempt(makeAttempt(JOB_A, 1));

    await store.updateAttempt(JOB_A, 1, {
      containerId: 'abcdef0123456789',
      finishedAt: '2024-05-01T12:00:02.000Z',
      outcome: 'transient',
      signature: 'devicemapper',
      engineMessage: 'devmapper: Thin Pool has 0 free data blocks',
      phase: 'create',
      delayMs: 1200,
      oomKilled: true,
      exitCode: 137,
    });

    const attempts = await store.listAttempts(JOB_A);
    expect(attempts.map((attempt) => attempt.number)).toEqual([1, 2]);
    expect(attempts[0]).toEqual(
      makeAttempt(JOB_A, 1, {
        containerId: 'abcdef0123456789',
        finishedAt: '2024-05-01T12:00:02.000Z',
        outcome: 'transient',
        signature: 'devicemapper',
        engineMessage: 'devmapper: Thin Pool has 0 free data blocks',
        phase: 'create',
        delayMs: 1200,
        oomKilled: true,
        exitCode: 137,
      }),
    );
    expect(attempts[1]).toEqual(makeAttempt(JOB_A, 2));

    await expect(store.updateAttempt(JOB_A, 3, { outcome: 'success' })).rejects.toBeInstanceOf(
      AttemptNotFoundError,
    );
  });

  it('adds a batch of 5000 events and lists them in order', async () => {
    await store.createJob(makeJob(JOB_A));
    const events: JobEvent[] = Array.from({ length: 5000 }, (_, i) => ({
      jobId: JOB_A,
      attempt: 1,
      time: new Date(Date.UTC(2024, 4, 1, 12, 0, 0, i)).toISOString(),
      stream: i % 2 === 0 ? 'stdout' : 'stderr',
      level: 'info',
      text: `line ${i}`,
    }));

    await store.addEvents(events);
    await store.addEvents([]);

    expect(await store.listEvents(JOB_A)).toEqual(events);

    const first = await store.listEvents(JOB_A, { limit: 3 });
    expect(first.map((event) => event.text)).toEqual(['line 0', 'line 1', 'line 2']);

    const last = await store.listEvents(JOB_A, { limit: 3, tail: true });
    expect(last.map((event) => event.text)).toEqual(['line 4997', 'line 4998', 'line 4999']);
  });

  it('keeps the data when the same file is opened again', async () => {
    await store.createJob(makeJob(JOB_A));
    await store.addAttempt(makeAttempt(JOB_A, 1));
    await store.close();

    store = await openSqliteStore(file);

    expect((await store.getJob(JOB_A))?.id).toBe(JOB_A);
    expect(await store.listAttempts(JOB_A)).toHaveLength(1);
  });
});

describe('store location', () => {
  it('uses $STEVEDORE_HOME, or ~/.stevedore when it is not set', () => {
    expect(stevedoreHome({ STEVEDORE_HOME: '/srv/stevedore' })).toBe('/srv/stevedore');
    expect(stevedoreHome({})).toMatch(/[/\\]\.stevedore$/);
    expect(stevedoreHome({ STEVEDORE_HOME: '' })).toMatch(/[/\\]\.stevedore$/);
  });

  it('opens stevedore.db in the home folder, creating the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stevedore-home-'));
    const store = await openStore(join(dir, 'home'));

    try {
      await store.createJob(makeJob(JOB_A));
      expect(await store.listJobs()).toHaveLength(1);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
