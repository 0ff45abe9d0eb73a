// The errors the store throws on purpose. Driver errors (a locked file, a broken connection)
// pass through as the driver throws them.

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

/** Thrown by `getJob` when a prefix matches more than one job. */
export class AmbiguousJobIdError extends StoreError {
  override readonly name = 'AmbiguousJobIdError';

  constructor(
    readonly prefix: string,
    readonly matches: number,
  ) {
    super(`job id prefix ${prefix} matches ${matches} jobs`);
  }
}

/** Thrown by `updateJob` when no job has the id. */
export class JobNotFoundError extends StoreError {
  override readonly name = 'JobNotFoundError';

  constructor(readonly jobId: string) {
    super(`no job with id ${jobId}`);
  }
}

/** Thrown by `updateAttempt` when the job has no attempt with the number. */
export class AttemptNotFoundError extends StoreError {
  override readonly name = 'AttemptNotFoundError';

  constructor(
    readonly jobId: string,
    readonly number: number,
  ) {
    super(`job ${jobId} has no attempt ${number}`);
  }
}

/** Thrown when opening a store whose schema could not be brought up to date. */
export class MigrationError extends StoreError {
  override readonly name = 'MigrationError';

  constructor(
    readonly migrationName: string | undefined,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`store migration ${migrationName ?? '(unknown)'} failed: ${reason}`, options);
  }
}
