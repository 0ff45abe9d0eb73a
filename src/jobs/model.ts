// Jobs, attempts and events: the records stevedore keeps of every run, in the product's words.

import type { PullPolicy } from '../engine/types.js';

export type JobStatus =
  'created' | 'waiting' | 'processing' | 'success' | 'error' | 'cancelled' | 'terminated';

export const FINAL_STATUSES: readonly JobStatus[] = ['success', 'error', 'cancelled', 'terminated'];

export type ErrorClass = 'user' | 'application';

/** How one attempt ended: `transient` means the engine failed, not the component. */
export type AttemptOutcome = 'success' | 'user' | 'application' | 'transient';

export type NetworkMode = 'bridge' | 'none';

/** Everything needed to run a job again from scratch: it is stored with the job. */
export interface JobSpec {
  image: string;
  /** When to pull the image; jobs stored before this existed pull only a missing image. */
  pull?: PullPolicy;
  command: string[] | null;
  /**
   * The `config.json` given to the component; keys starting with `#` are secrets. Null keeps
   * the one in `dataDir`, or `{}` when there is none.
   */
  config: Record<string, unknown> | null;
  /** Table name to a path on this host, copied to `in/tables/NAME.csv`. */
  inputTables: Record<string, string>;
  /** Paths on this host copied into `in/files/`. */
  inputFiles: string[];
  /** A prepared data folder copied as the base of every attempt's folder; never modified. */
  dataDir: string | null;
  env: Record<string, string>;
  memoryBytes: number;
  network: NetworkMode;
  timeoutMs: number;
  maxAttempts: number;
  retryDelayMinMs: number;
  retryDelayMaxMs: number;
  /** Where `out/` is copied on success. */
  outputDir: string;
  /** The `KBC_*` identifiers handed to the component. */
  projectId: string;
  componentId: string;
  configId: string;
}

export interface Job {
  id: string;
  status: JobStatus;
  errorClass: ErrorClass | null;
  /** What the user is told: the component's own message, or why stevedore ended the job. */
  message: string | null;
  spec: JobSpec;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Output lines not kept because the job printed more than the event limit. */
  droppedEvents: number;
}

export interface Attempt {
  jobId: string;
  number: number;
  containerId: string | null;
  engineHost: string;
  startedAt: string;
  finishedAt: string | null;
  exitCode: number | null;
  oomKilled: boolean;
  outcome: AttemptOutcome | null;
  /** The name of the rule that decided the outcome. */
  signature: string | null;
  /** The engine's own error text, kept whole, when the engine failed. */
  engineMessage: string | null;
  /** The engine call that failed (`create`, `start`, ...), when one did. */
  phase: string | null;
  /** How long stevedore waited before the next attempt; null when there was none. */
  delayMs: number | null;
}

export type EventStream = 'stdout' | 'stderr' | 'runner';
export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

export interface JobEvent {
  jobId: string;
  attempt: number;
  time: string;
  stream: EventStream;
  level: EventLevel;
  text: string;
}
