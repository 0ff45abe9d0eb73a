// The tables as Kysely sees them, and the one place where rows become model objects and back.
// Column types are the portable subset of SQLite and Postgres: text (times are ISO-8601 text,
// the spec is JSON text) and integers (booleans are 0/1).

import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

import type {
  Attempt,
  AttemptOutcome,
  ErrorClass,
  EventLevel,
  EventStream,
  Job,
  JobEvent,
  JobSpec,
  JobStatus,
} from '../jobs/model.js';
import type { AttemptPatch, JobPatch } from './types.js';

export interface StoreSchema {
  jobs: JobsTable;
  attempts: AttemptsTable;
  events: EventsTable;
}

export interface JobsTable {
  id: string;
  status: JobStatus;
  error_class: ErrorClass | null;
  message: string | null;
  spec: string;
  /** Copied from the spec so that jobs can be filtered by image without parsing JSON. */
  image: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  dropped_events: Generated<number>;
}

export interface AttemptsTable {
  job_id: string;
  number: number;
  container_id: string | null;
  engine_host: string;
  started_at: string;
  finished_at: string | null;
  exit_code: number | null;
  oom_killed: Generated<number>;
  outcome: AttemptOutcome | null;
  signature: string | null;
  engine_message: string | null;
  phase: string | null;
  delay_ms: number | null;
}

export interface EventsTable {
  id: Generated<number>;
  job_id: string;
  attempt: number;
  time: string;
  stream: EventStream;
  level: EventLevel;
  text: string;
}

export type JobRow = Selectable<JobsTable>;
export type AttemptRow = Selectable<AttemptsTable>;
export type EventRow = Selectable<EventsTable>;

export function jobToRow(job: Job): Insertable<JobsTable> {
  return {
    id: job.id,
    status: job.status,
    error_class: job.errorClass,
    message: job.message,
    spec: JSON.stringify(job.spec),
    image: job.spec.image,
    created_at: job.createdAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    dropped_events: job.droppedEvents,
  };
}

export function jobPatchToRow(patch: JobPatch): Updateable<JobsTable> {
  return dropUndefined({
    status: patch.status,
    error_class: patch.errorClass,
    message: patch.message,
    started_at: patch.startedAt,
    finished_at: patch.finishedAt,
    dropped_events: patch.droppedEvents,
  });
}

export function rowToJob(row: JobRow): Job {
  return {
    id: row.id,
    status: row.status,
    errorClass: row.error_class,
    message: row.message,
    spec: JSON.parse(row.spec) as JobSpec,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    droppedEvents: Number(row.dropped_events),
  };
}

export function attemptToRow(attempt: Attempt): Insertable<AttemptsTable> {
  return {
    job_id: attempt.jobId,
    number: attempt.number,
    container_id: attempt.containerId,
    engine_host: attempt.engineHost,
    started_at: attempt.startedAt,
    finished_at: attempt.finishedAt,
    exit_code: attempt.exitCode,
    oom_killed: attempt.oomKilled ? 1 : 0,
    outcome: attempt.outcome,
    signature: attempt.signature,
    engine_message: attempt.engineMessage,
    phase: attempt.phase,
    delay_ms: attempt.delayMs,
  };
}

export function attemptPatchToRow(patch: AttemptPatch): Updateable<AttemptsTable> {
  return dropUndefined({
    container_id: patch.containerId,
    engine_host: patch.engineHost,
    started_at: patch.startedAt,
    finished_at: patch.finishedAt,
    exit_code: patch.exitCode,
    oom_killed: patch.oomKilled === undefined ? undefined : patch.oomKilled ? 1 : 0,
    outcome: patch.outcome,
    signature: patch.signature,
    engine_message: patch.engineMessage,
    phase: patch.phase,
    delay_ms: patch.delayMs,
  });
}

export function rowToAttempt(row: AttemptRow): Attempt {
  return {
    jobId: row.job_id,
    number: row.number,
    containerId: row.container_id,
    engineHost: row.engine_host,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    oomKilled: Number(row.oom_killed) === 1,
    outcome: row.outcome,
    signature: row.signature,
    engineMessage: row.engine_message,
    phase: row.phase,
    delayMs: row.delay_ms === null ? null : Number(row.delay_ms),
  };
}

export function eventToRow(event: JobEvent): Insertable<EventsTable> {
  return {
    job_id: event.jobId,
    attempt: event.attempt,
    time: event.time,
    stream: event.stream,
    level: event.level,
    text: event.text,
  };
}

export function rowToEvent(row: Omit<EventRow, 'id'>): JobEvent {
  return {
    jobId: row.job_id,
    attempt: row.attempt,
    time: row.time,
    stream: row.stream,
    level: row.level,
    text: row.text,
  };
}

/** A patch leaves a column alone when its field is absent; `null` still clears it. */
function dropUndefined<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined)) as T;
}
