// Building jobs and runner dependencies for tests.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ContainerEngine } from '../../src/engine/types.js';
import type { Job, JobSpec } from '../../src/jobs/model.js';
import type { RunnerDeps } from '../../src/jobs/runner.js';
import { silentLogger } from '../../src/log.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { JobStore } from '../../src/store/types.js';
import { FakeClock } from './scripted-engine.js';

let counter = 0;

export function tempDir(prefix = 'stevedore-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function newJob(root: string, spec: Partial<JobSpec> = {}): Job {
  counter += 1;
  const id = `01TEST${String(counter).padStart(20, '0')}`;
  return {
    id,
    status: 'created',
    errorClass: null,
    message: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    droppedEvents: 0,
    spec: {
      image: 'stevedore-test/tiny:latest',
      command: null,
      config: { parameters: {} },
      inputTables: {},
      inputFiles: [],
      dataDir: null,
      env: {},
      memoryBytes: 64 * 1024 * 1024,
      network: 'none',
      timeoutMs: 60_000,
      maxAttempts: 5,
      retryDelayMinMs: 1000,
      retryDelayMaxMs: 4000,
      outputDir: path.join(root, 'out', id),
      projectId: 'test',
      componentId: 'test',
      configId: id,
      ...spec,
    },
  };
}

export interface Harness {
  deps: RunnerDeps;
  store: JobStore;
  clock: FakeClock;
  root: string;
}

export async function harness(
  engine: ContainerEngine,
  random: () => number = Math.random,
): Promise<Harness> {
  const root = tempDir();
  const store = await openSqliteStore(path.join(root, 'stevedore.db'));
  const clock = new FakeClock();
  return {
    root,
    store,
    clock,
    deps: { engine, store, clock, random, logger: silentLogger, workRoot: path.join(root, 'work') },
  };
}
