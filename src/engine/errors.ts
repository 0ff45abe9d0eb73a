// The errors the engine module throws. Everything above engine/ sees these, never Docker's own.

export type EnginePhase = 'pull' | 'create' | 'start' | 'wait' | 'inspect' | 'stop' | 'remove';

/**
 * What kind of failure the engine reported, as far as the engine's answer tells it.
 * `unavailable`: the engine could not be reached or the connection broke.
 * `image-missing`: the image is not on this host and could not be had.
 * `not-found`: the container is gone. `conflict`: a name or state conflict.
 * `other`: anything else; the message says what.
 */
export type EngineErrorKind = 'unavailable' | 'image-missing' | 'not-found' | 'conflict' | 'other';

/** Thrown by every engine call that fails. Keeps the engine's message whole. */
export class EngineError extends Error {
  override readonly name = 'EngineError';

  constructor(
    readonly phase: EnginePhase,
    readonly kind: EngineErrorKind,
    /** The engine's own text, unchanged: rules match on it and users read it. */
    readonly engineMessage: string,
    readonly statusCode: number | null,
    readonly containerId: string | null = null,
    options?: { cause?: unknown; injected?: boolean },
  ) {
    super(`engine ${phase} failed: ${engineMessage}`, options);
    this.injected = options?.injected ?? false;
  }

  /** Made on purpose by fault injection, not by the engine: said wherever it is reported. */
  readonly injected: boolean;
}
