// `stevedore jobs list` and `stevedore jobs show ID`: what ran, how it ended, and why it took
// as long as it did.

import { Command, InvalidArgumentError, Option } from 'commander';

import {
  FINAL_STATUSES,
  type Attempt,
  type AttemptOutcome,
  type Job,
  type JobEvent,
  type JobStatus,
} from '../jobs/model.js';
import { AmbiguousJobIdError } from '../store/errors.js';
import type { JobStore } from '../store/types.js';
import { attemptJson, eventJson, jobJson } from './job-json.js';
import {
  MISSING,
  formatDuration,
  formatDurationBetween,
  formatFields,
  formatTable,
  formatTime,
  millisBetween,
  oneLine,
} from './format.js';

export interface JobsCommandDeps {
  openStore: () => Promise<JobStore>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

interface ListOptions {
  json?: boolean;
  status?: JobStatus;
  limit: number;
}

interface ShowOptions {
  json?: boolean;
  events?: number;
}

const DEFAULT_LIST_LIMIT = 20;
const DEFAULT_SHOWN_EVENTS = 20;
const CONTAINER_ID_LENGTH = 12;

// A record rather than a list so that the compiler notices a status added to the model.
const STATUS_CHOICES: Record<JobStatus, true> = {
  created: true,
  waiting: true,
  processing: true,
  success: true,
  error: true,
  cancelled: true,
  terminated: true,
};

export function jobsCommand(deps: JobsCommandDeps): Command {
  const jobs = new Command('jobs')
    .description('list the jobs stevedore ran and show why each took as long as it did')
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    });

  jobs
    .command('list')
    .description('the newest jobs first')
    .option('--json', 'print a JSON array')
    .addOption(
      new Option('--status <status>', 'only jobs in this status').choices(
        Object.keys(STATUS_CHOICES),
      ),
    )
    .option('--limit <n>', 'at most this many jobs', parsePositiveInteger, DEFAULT_LIST_LIMIT)
    .action((options: ListOptions) => withStore(deps, (store) => listJobs(store, options, deps)));

  jobs
    .command('show')
    .description('a job, its attempts, why it took more than one, and its last output lines')
    .argument('<id>', 'a job id, or enough of its start to be unambiguous')
    .option('--json', 'print one JSON object')
    .option(
      '--events <n>',
      `the last N events (default ${DEFAULT_SHOWN_EVENTS}, none in JSON); 0 for none`,
      parseCount,
    )
    .action((id: string, options: ShowOptions) =>
      withStore(deps, (store) => showJob(store, id, options, deps)),
    );

  return jobs;
}

async function withStore(
  deps: JobsCommandDeps,
  use: (store: JobStore) => Promise<void>,
): Promise<void> {
  const store = await deps.openStore();
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

async function listJobs(store: JobStore, options: ListOptions, deps: JobsCommandDeps) {
  const jobs = await store.listJobs({ status: options.status, limit: options.limit });

  // One query per job: fine for a screenful; add a count to listJobs if --limit grows large.
  const attemptCounts = await Promise.all(
    jobs.map(async (job) => (await store.listAttempts(job.id)).length),
  );

  if (options.json === true) {
    const items = jobs.map((job, i) => ({ ...jobJson(job), attemptCount: attemptCounts[i] }));
    deps.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return;
  }

  if (jobs.length === 0) {
    const which = options.status === undefined ? '' : ` with status ${options.status}`;
    deps.stdout.write(`no jobs${which}\n`);
    return;
  }

  const rows = jobs.map((job, i) => [
    job.id,
    job.status,
    job.errorClass ?? MISSING,
    job.spec.image,
    formatTime(job.createdAt),
    formatDurationBetween(job.startedAt, job.finishedAt),
    String(attemptCounts[i]),
  ]);
  const headers = ['ID', 'STATUS', 'ERROR', 'IMAGE', 'CREATED', 'DURATION', 'ATTEMPTS'];
  deps.stdout.write(`${formatTable(headers, rows)}\n`);
}

async function showJob(store: JobStore, id: string, options: ShowOptions, deps: JobsCommandDeps) {
  const job = await findJob(store, id, deps);
  if (job === undefined) {
    process.exitCode = 1;
    return;
  }

  const attempts = await store.listAttempts(job.id);

  const eventCount = options.events ?? (options.json === true ? 0 : DEFAULT_SHOWN_EVENTS);
  const events =
    eventCount > 0 ? await store.listEvents(job.id, { limit: eventCount, tail: true }) : [];

  if (options.json === true) {
    const shown = { ...jobJson(job), attempts: attempts.map(attemptJson) };
    const json = options.events === undefined ? shown : { ...shown, events: events.map(eventJson) };
    deps.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }

  deps.stdout.write(renderJob(job, attempts, events, eventCount));
}

/** The job, or undefined after telling the user why there is none. */
async function findJob(store: JobStore, id: string, deps: JobsCommandDeps) {
  try {
    const job = await store.getJob(id);
    if (job === undefined) {
      deps.stderr.write(`no job with id ${id} (see \`stevedore jobs list\`)\n`);
    }
    return job;
  } catch (error) {
    if (!(error instanceof AmbiguousJobIdError)) {
      throw error;
    }
    deps.stderr.write(
      `job id ${id} is ambiguous: it starts ${error.matches} job ids; give more of it\n`,
    );
    return undefined;
  }
}

function renderJob(job: Job, attempts: Attempt[], events: JobEvent[], eventCount: number) {
  const sections = [renderJobFields(job)];

  if (attempts.length > 0) {
    sections.push(`Attempts\n${renderAttempts(attempts)}`);
  }

  const explanation = explainAttempts(job, attempts);
  if (explanation !== undefined) {
    sections.push(explanation);
  }

  if (eventCount > 0) {
    sections.push(
      events.length === 0 ? 'No events.' : `${lastEventsTitle(events)}\n${renderEvents(events)}`,
    );
  }

  return `${sections.join('\n\n')}\n`;
}

function renderJobFields(job: Job): string {
  const fields: Array<[string, string]> = [
    ['job', job.id],
    ['status', job.status],
    ['error class', job.errorClass ?? MISSING],
    ['message', job.message === null ? MISSING : oneLine(job.message)],
    ['image', job.spec.image],
    ['created', formatTime(job.createdAt)],
    ['started', formatTime(job.startedAt)],
    ['finished', formatTime(job.finishedAt)],
    ['duration', formatDurationBetween(job.startedAt, job.finishedAt)],
    ['output dir', job.status === 'success' ? job.spec.outputDir : MISSING],
  ];

  if (job.droppedEvents > 0) {
    const dropped = `${job.droppedEvents} output lines not kept (over the event limit)`;
    fields.push(['dropped events', dropped]);
  }
  return formatFields(fields);
}

function renderAttempts(attempts: Attempt[]): string {
  const headers = [
    '#',
    'OUTCOME',
    'SIGNATURE',
    'EXIT',
    'CONTAINER',
    'DURATION',
    'DELAY',
    'ENGINE MESSAGE',
  ];

  const rows = attempts.map((attempt) => [
    String(attempt.number),
    attempt.outcome ?? (attempt.finishedAt === null ? 'running' : MISSING),
    attempt.signature ?? MISSING,
    exitCell(attempt),
    attempt.containerId?.slice(0, CONTAINER_ID_LENGTH) ?? MISSING,
    formatDurationBetween(attempt.startedAt, attempt.finishedAt),
    attempt.delayMs === null ? MISSING : formatDuration(attempt.delayMs),
    attempt.engineMessage === null ? MISSING : engineMessageCell(attempt),
  ]);

  return formatTable(headers, rows);
}

function exitCell(attempt: Attempt): string {
  const code = attempt.exitCode === null ? MISSING : String(attempt.exitCode);
  return attempt.oomKilled ? `${code} (oom)` : code;
}

function engineMessageCell(attempt: Attempt): string {
  const message = oneLine(attempt.engineMessage ?? '');
  return attempt.phase === null ? message : `${attempt.phase}: ${message}`;
}

const FAILURE_WORDS: Record<Exclude<AttemptOutcome, 'success'>, string> = {
  transient: 'on engine errors',
  application: 'in the component',
  user: 'on user errors',
};

/**
 * One sentence on why a job needed more than one attempt, e.g. "Took 3 attempts: 2 failed on
 * engine errors (devicemapper x2); waited 3.5 s for retries in all."
 */
export function explainAttempts(job: Job, attempts: Attempt[]): string | undefined {
  if (attempts.length < 2) {
    return undefined;
  }

  const failures = describeFailures(attempts);
  const head = FINAL_STATUSES.includes(job.status)
    ? `Took ${attempts.length} attempts`
    : `${attempts.length} attempts so far`;
  let sentence = failures === '' ? head : `${head}: ${failures}`;

  const waited = attempts.reduce((sum, attempt) => sum + (attempt.delayMs ?? 0), 0);
  if (waited > 0) {
    sentence += `; waited ${formatDuration(waited)} for retries in all`;
  }

  const failedRun = failedAttemptsRunTime(attempts);
  if (failedRun > 0) {
    sentence += `; the failed attempts ran ${formatDuration(failedRun)}`;
  }

  return `${sentence}.`;
}

/** "2 failed on engine errors (devicemapper x2), 1 failed in the component (exit-code)". */
function describeFailures(attempts: Attempt[]): string {
  const parts: string[] = [];

  for (const [outcome, words] of Object.entries(FAILURE_WORDS)) {
    const failed = attempts.filter((attempt) => attempt.outcome === outcome);
    if (failed.length > 0) {
      parts.push(`${failed.length} failed ${words} (${countSignatures(failed)})`);
    }
  }

  const running = attempts.filter((a) => a.outcome === null && a.finishedAt === null).length;
  if (running > 0) {
    parts.push(`${running} still running`);
  }

  return parts.join(', ');
}

/** "devicemapper x2, network" in the order the signatures first appeared. */
function countSignatures(attempts: Attempt[]): string {
  const counts = new Map<string, number>();
  for (const attempt of attempts) {
    const signature = attempt.signature ?? 'unrecognised';
    counts.set(signature, (counts.get(signature) ?? 0) + 1);
  }

  return [...counts]
    .map(([signature, count]) => (count > 1 ? `${signature} x${count}` : signature))
    .join(', ');
}

function failedAttemptsRunTime(attempts: Attempt[]): number {
  return attempts
    .filter((attempt) => attempt.outcome !== null && attempt.outcome !== 'success')
    .map((attempt) => millisBetween(attempt.startedAt, attempt.finishedAt) ?? 0)
    .reduce((sum, ms) => sum + ms, 0);
}

function lastEventsTitle(events: JobEvent[]): string {
  return events.length === 1 ? 'Last event' : `Last ${events.length} events`;
}

function renderEvents(events: JobEvent[]): string {
  const rows = events.map((event) => [
    formatTime(event.time),
    String(event.attempt),
    event.stream,
    event.level,
    event.text,
  ]);

  return formatTable(['TIME', '#', 'STREAM', 'LEVEL', 'TEXT'], rows);
}

function parsePositiveInteger(value: string): number {
  const n = parseCount(value);
  if (n === 0) {
    throw new InvalidArgumentError('must be at least 1');
  }
  return n;
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError('must be a whole number');
  }
  return Number(value);
}
