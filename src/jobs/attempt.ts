// One attempt: one container run from create to remove, reduced to the facts that decide it.

import { EngineError } from '../engine/errors.js';
import type { ContainerEngine, ContainerSpec, OutputSink } from '../engine/types.js';
import type { AttemptFacts } from '../failures/facts.js';
import type { Clock } from './clock.js';
import type { JobSpec } from './model.js';

export interface AttemptContext {
  engine: ContainerEngine;
  clock: Clock;
  /** A runner message about this attempt: logged and kept with the job's events. */
  note: (level: 'info' | 'warn' | 'error', text: string, fields: object) => Promise<void>;
  jobId: string;
  number: number;
  spec: JobSpec;
  /** The attempt's fresh data folder, mounted at /data. */
  dataDir: string;
  /** The folder under which this stevedore builds its data folders. */
  workRoot: string;
  sink: OutputSink;
  /** Called as soon as the engine names the container. */
  onContainer: (id: string) => Promise<void>;
  /** The tails of the component's stderr and stdout, read when the container has ended. */
  tails: () => { stderr: string; stdout: string };
  stopGraceSeconds: number;
  /** Aborted when the job is to be stopped (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
}

export interface AttemptResult {
  facts: AttemptFacts;
  containerId: string | null;
  /** The attempt was stopped because the job was, not because of anything it did. */
  terminated: boolean;
  /** The engine failure was injected on purpose (--inject-fault). */
  injected?: boolean;
}

/** How long to wait for the last output after the container ended before giving up on it. */
const OUTPUT_DRAIN_MS = 10_000;

export const LABELS = {
  managed: 'io.stevedore.managed',
  job: 'io.stevedore.job',
  attempt: 'io.stevedore.attempt',
  /** The work folder of the stevedore that made it: `gc` cleans only its own. */
  work: 'io.stevedore.work',
} as const;

export async function runAttempt(ctx: AttemptContext): Promise<AttemptResult> {
  const labels = {
    [LABELS.managed]: 'true',
    [LABELS.job]: ctx.jobId,
    [LABELS.attempt]: String(ctx.number),
    [LABELS.work]: ctx.workRoot,
  };
  let containerId: string | null = null;

  try {
    await ctx.engine.ensureImage(ctx.spec.image, ctx.spec.pull ?? 'missing');
    if (ctx.signal.aborted) return stoppedBeforeStart(null);

    containerId = await ctx.engine.create(containerSpec(ctx, labels));
    await ctx.onContainer(containerId);
    if (ctx.signal.aborted) return stoppedBeforeStart(containerId);

    const { outputDone } = await ctx.engine.start(containerId, ctx.sink);
    const ending = await waitForEnd(ctx, containerId);
    await settleWithin(outputDone, OUTPUT_DRAIN_MS, ctx.clock);

    const tails = ctx.tails();
    return {
      containerId,
      terminated: ending.terminated,
      facts: {
        kind: 'exit',
        exitCode: ending.exitCode,
        oomKilled: ending.oomKilled,
        timedOut: ending.timedOut,
        stderrTail: tails.stderr,
        stdoutTail: tails.stdout,
        memoryBytes: ctx.spec.memoryBytes,
        timeoutMs: ctx.spec.timeoutMs,
      },
    };
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;

    return {
      containerId,
      terminated: ctx.signal.aborted,
      injected: err.injected,
      facts: {
        kind: 'engine',
        phase: err.phase,
        errorKind: err.kind,
        httpStatus: err.statusCode,
        engineMessage: err.engineMessage,
      },
    };
  } finally {
    await removeContainers(ctx, containerId, labels);
  }
}

/** The job was stopped before its container started: nothing ran, nothing is to be decided. */
function stoppedBeforeStart(containerId: string | null): AttemptResult {
  return {
    containerId,
    terminated: true,
    facts: {
      kind: 'engine',
      phase: containerId ? 'start' : 'create',
      errorKind: 'other',
      httpStatus: null,
      engineMessage: 'the job was stopped before the container started',
    },
  };
}

function containerSpec(ctx: AttemptContext, labels: Record<string, string>): ContainerSpec {
  const { spec } = ctx;

  return {
    image: spec.image,
    command: spec.command,
    env: {
      ...spec.env,
      KBC_DATADIR: '/data/',
      KBC_RUNID: ctx.jobId,
      KBC_PROJECTID: spec.projectId,
      KBC_COMPONENTID: spec.componentId,
      KBC_CONFIGID: spec.configId,
      KBC_COMPONENT_RUN_MODE: 'run',
    },
    labels,
    dataDir: ctx.dataDir,
    memoryBytes: spec.memoryBytes,
    network: spec.network,
  };
}

interface Ending {
  exitCode: number;
  oomKilled: boolean;
  timedOut: boolean;
  terminated: boolean;
}

/** Waits for the container, stopping it when it runs past its timeout or the job is stopped. */
async function waitForEnd(ctx: AttemptContext, id: string): Promise<Ending> {
  const waiting = ctx.engine.wait(id);
  // Read below in every path; until then, keep a failure from being reported as unhandled.
  waiting.catch(() => undefined);
  const timer = new AbortController();
  const timeUp = ctx.clock.sleep(ctx.spec.timeoutMs, timer.signal).then(() => 'time' as const);
  const stopped = abortion(ctx.signal).then(() => 'stopped' as const);

  try {
    const first = await Promise.race([waiting.then(() => 'ended' as const), timeUp, stopped]);
    if (first === 'ended') return { ...(await waiting), timedOut: false, terminated: false };

    const timedOut = first === 'time' && !ctx.signal.aborted;
    await ctx.note(
      'warn',
      timedOut ? 'the container ran past its timeout, stopping it' : 'stopping the container',
      { containerId: id.slice(0, 12), timeoutMs: ctx.spec.timeoutMs },
    );
    await ctx.engine.stop(id, ctx.stopGraceSeconds);

    const exit = await waiting;
    return { ...exit, timedOut, terminated: !timedOut };
  } finally {
    timer.abort();
  }
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

async function settleWithin(work: Promise<void>, ms: number, clock: Clock): Promise<void> {
  const timer = new AbortController();
  await Promise.race([work.catch(() => undefined), clock.sleep(ms, timer.signal)]);
  timer.abort();
}

/** Tries to remove a container this many times before leaving it to the operator. */
const REMOVE_TRIES = 3;
const REMOVE_PAUSE_MS = 500;

/**
 * Removes the attempt's container. When the engine failed before naming it, looks for it by
 * its labels: a create that failed or timed out may still have made one. A failure here is
 * logged and never changes the attempt's outcome.
 */
async function removeContainers(
  ctx: AttemptContext,
  containerId: string | null,
  labels: Record<string, string>,
): Promise<void> {
  for (let tries = 1; ; tries += 1) {
    try {
      const ids = containerId
        ? [containerId]
        : (await ctx.engine.findByLabels(labels)).map((found) => found.id);
      for (const id of ids) await ctx.engine.remove(id);
      return;
    } catch (err) {
      // No container was named and the engine cannot be reached: there is nothing to find.
      if (!containerId && err instanceof EngineError && err.kind === 'unavailable') return;

      const message = err instanceof EngineError ? err.engineMessage : String(err);
      const fields = { containerId: containerId?.slice(0, 12) ?? null, engineMessage: message };

      if (tries >= REMOVE_TRIES) {
        const text =
          `could not remove the attempt's container (${message}); ` +
          `it carries the label ${LABELS.job}=${ctx.jobId}`;
        await ctx.note('error', text, fields);
        return;
      }
      await ctx.note('warn', `could not remove the container (${message}), trying again`, fields);
      await ctx.clock.sleep(REMOVE_PAUSE_MS);
    }
  }
}
