// The store as the rest of stevedore sees it. Only store/ knows SQL; everything else uses this.

import type { Attempt, Job, JobEvent, JobStatus } from '../jobs/model.js';

export type JobPatch = Partial<
  Pick<Job, 'status' | 'errorClass' | 'message' | 'startedAt' | 'finishedAt' | 'droppedEvents'>
>;

export type AttemptPatch = Partial<Omit<Attempt, 'jobId' | 'number'>>;

export interface JobFilter {
  status?: JobStatus;
  /** Newest first; at most this many. */
  limit?: number;
}

export interface EventQuery {
  /** At most this many. */
  limit?: number;
  /** Take the newest `limit` events instead of the oldest; they still come oldest first. */
  tail?: boolean;
}

export interface JobStore {
  createJob(job: Job): Promise<void>;
  updateJob(id: string, patch: JobPatch): Promise<void>;
  /**
   * Looks a job up by its whole id or by an unambiguous prefix of it, in either case.
   * Throws `AmbiguousJobIdError` when the prefix matches more than one job.
   */
  getJob(idOrPrefix: string): Promise<Job | undefined>;
  listJobs(filter?: JobFilter): Promise<Job[]>;

  addAttempt(attempt: Attempt): Promise<void>;
  updateAttempt(jobId: string, number: number, patch: AttemptPatch): Promise<void>;
  listAttempts(jobId: string): Promise<Attempt[]>;

  addEvents(events: JobEvent[]): Promise<void>;
  /** Oldest first. */
  listEvents(jobId: string, options?: EventQuery): Promise<JobEvent[]>;

  close(): Promise<void>;
}
