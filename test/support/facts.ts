// Attempt facts for tests of the rules: a container that ended, or an engine call that failed.

import type { EngineErrorKind, EnginePhase } from '../../src/engine/errors.js';
import type { EngineFailureFacts, ExitFacts } from '../../src/failures/facts.js';

export const MiB = 1024 * 1024;

/** A container that ended; by default exit 0 under a 256 MiB limit and a 1 h timeout. */
export function exited(facts: Partial<ExitFacts> = {}): ExitFacts {
  return {
    kind: 'exit',
    exitCode: 0,
    oomKilled: false,
    timedOut: false,
    stderrTail: '',
    stdoutTail: '',
    memoryBytes: 256 * MiB,
    timeoutMs: 3_600_000,
    ...facts,
  };
}

/** An engine call that failed with this message (HTTP 500 unless told otherwise). */
export function engineFailed(
  engineMessage: string,
  phase: EnginePhase = 'create',
  more: Partial<EngineFailureFacts> & { errorKind?: EngineErrorKind } = {},
): EngineFailureFacts {
  return { kind: 'engine', phase, errorKind: 'other', httpStatus: 500, engineMessage, ...more };
}
