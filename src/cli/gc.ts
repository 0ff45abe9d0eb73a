// `stevedore gc`: removes what runs of stevedore that were killed left behind (their
// containers, found by label, and work folders) and marks their jobs terminated.

import { Command } from 'commander';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DockerEngine } from '../engine/docker.js';
import { LABELS } from '../jobs/attempt.js';
import { ownerAlive } from '../jobs/owner.js';
import type { JobStore } from '../store/types.js';

export interface GcDeps {
  openStore: () => Promise<JobStore>;
  home: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
}

/** Processing jobs looked at in one go; far more than one host runs at once. */
const PROCESSING_LIMIT = 10_000;

export function gcCommand(deps: GcDeps): Command {
  return new Command('gc')
    .description('remove the containers and folders that killed runs of stevedore left behind')
    .option('--json', 'print what was removed as JSON')
    .action(async (options: { json?: boolean }) => {
      const store = await deps.openStore();
      try {
        const cleaned = await collect(store, deps);
        deps.stdout.write(options.json ? `${JSON.stringify(cleaned)}\n` : describe(cleaned));
      } finally {
        await store.close();
      }
    });
}

async function collect(store: JobStore, deps: GcDeps) {
  const workRoot = path.join(deps.home, 'work');
  const engine = new DockerEngine(deps.env);
  const orphaned = (jobId: string) =>
    ownerAlive(path.join(workRoot, jobId)).then((alive) => !alive);

  const containers: string[] = [];
  const found = await engine.findByLabels({ [LABELS.managed]: 'true', [LABELS.work]: workRoot });
  for (const container of found) {
    const jobId = container.labels[LABELS.job] ?? '';
    if (!(await orphaned(jobId))) continue;
    await engine.remove(container.id);
    containers.push(container.id.slice(0, 12));
  }

  const jobs: string[] = [];
  for (const job of await store.listJobs({ status: 'processing', limit: PROCESSING_LIMIT })) {
    if (!(await orphaned(job.id))) continue;
    await store.updateJob(job.id, {
      status: 'terminated',
      message: 'stevedore stopped while the job ran (killed or crashed); cleaned up by gc',
      finishedAt: new Date().toISOString(),
    });
    jobs.push(job.id);
  }

  const folders: string[] = [];
  for (const name of await readdir(workRoot).catch(() => [] as string[])) {
    if (!(await orphaned(name))) continue;
    await rm(path.join(workRoot, name), { recursive: true, force: true });
    folders.push(name);
  }

  return { containers, jobs, folders };
}

function describe(cleaned: { containers: string[]; jobs: string[]; folders: string[] }) {
  const lines = [
    `removed ${cleaned.containers.length} container(s) ${cleaned.containers.join(' ')}`.trim(),
    `marked ${cleaned.jobs.length} job(s) terminated ${cleaned.jobs.join(' ')}`.trim(),
    `removed ${cleaned.folders.length} work folder(s)`,
  ];
  return `${lines.join('\n')}\n`;
}
