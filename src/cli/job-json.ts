// Jobs, attempts and events as the commands print them in JSON: one shape everywhere.

import type { Attempt, Job, JobEvent } from '../jobs/model.js';

/** The job as printed in JSON: flat, and without the spec, whose config may hold secrets. */
export function jobJson(job: Job) {
  return {
    id: job.id,
    status: job.status,
    errorClass: job.errorClass,
    message: job.message,
    image: job.spec.image,
    outputDir: job.status === 'success' ? job.spec.outputDir : null,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    droppedEvents: job.droppedEvents,
  };
}

export function attemptJson(attempt: Attempt) {
  return {
    number: attempt.number,
    outcome: attempt.outcome,
    signature: attempt.signature,
    exitCode: attempt.exitCode,
    containerId: attempt.containerId,
    engineHost: attempt.engineHost,
    engineMessage: attempt.engineMessage,
    phase: attempt.phase,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt,
    delayMs: attempt.delayMs,
    oomKilled: attempt.oomKilled,
  };
}

export function eventJson(event: JobEvent) {
  return {
    attempt: event.attempt,
    time: event.time,
    stream: event.stream,
    level: event.level,
    text: event.text,
  };
}
