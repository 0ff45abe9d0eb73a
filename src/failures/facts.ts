// What is known about how one attempt ended: the input of classification.

import type { EngineErrorKind, EnginePhase } from '../engine/errors.js';

export type AttemptFacts = ExitFacts | EngineFailureFacts;

/** The container ran and ended (or was stopped). */
export interface ExitFacts {
  kind: 'exit';
  exitCode: number;
  oomKilled: boolean;
  timedOut: boolean;
  /** The end of the component's stderr and stdout, for the message shown to the user. */
  stderrTail: string;
  stdoutTail: string;
  memoryBytes: number;
  timeoutMs: number;
}

/** An engine call failed before the container's end could be known. */
export interface EngineFailureFacts {
  kind: 'engine';
  phase: EnginePhase;
  /** The engine module's reading of the failure; `other` when only the text can tell. */
  errorKind: EngineErrorKind;
  httpStatus: number | null;
  /**
   * The exit code a `docker` client would have shown, where known (reports, `classify`).
   * 125, 126 and 127 only say that the client or the runtime failed, so no default rule
   * decides on them.
   */
  exitCode?: number | null;
  engineMessage: string;
}

/**
 * `retry`: a transient engine or host failure, the attempt is run again. `ignore`: a failure
 * while cleaning up (phase `remove`), which never changes a job's result.
 */
export type Action = 'success' | 'retry' | 'user' | 'application' | 'ignore';

export interface Decision {
  action: Action;
  /** The name of the rule that decided. */
  rule: string;
  /** What the user is told. */
  message: string;
}
