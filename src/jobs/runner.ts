// Runs one job to its end: attempts in a loop, each from a fresh data folder, until one
// decides the job or the engine has failed too many times in a row.

import { rm } from 'node:fs/promises';
import { writeOwner } from './owner.js';
import path from 'node:path';
import type { ContainerEngine, OutputStream } from '../engine/types.js';
import { classify } from '../failures/classify.js';
import type { AttemptFacts, Decision } from '../failures/facts.js';
import { DEFAULT_RULES, type Rule } from '../failures/rules.js';
import type { Logger } from '../log.js';
import { formatDuration } from '../units.js';
import { mayRetry, retryDelay, type Random, type RetryPolicy } from '../retry/policy.js';
import type { JobStore } from '../store/types.js';
import { runAttempt, type AttemptResult } from './attempt.js';
import type { Clock } from './clock.js';
import { buildDataFolder, collectOutput } from './datadir.js';
import type { Attempt, EventLevel, Job, JobEvent } from './model.js';
import { EventRecorder, LineSplitter, TextTail, type EventLimits } from './output.js';

export interface RunnerDeps {
  engine: ContainerEngine;
  store: JobStore;
  clock: Clock;
  random: Random;
  logger: Logger;
  rules?: readonly Rule[];
  /** Attempts' data folders are built under this folder and removed after each attempt. */
  workRoot: string;
  /** Receives the events as they happen, in order. May slow the job down. */
  onEvents?: (events: JobEvent[]) => void | Promise<void>;
  /**
   * Receives the component's output bytes as they come, unchanged, for live display (events
   * are lines, cut at 64 KiB). May slow the job down.
   */
  onOutput?: (stream: OutputStream, chunk: Buffer) => void | Promise<void>;
  stopGraceSeconds?: number;
  eventLimits?: EventLimits;
}

/** Runs the job and answers it as it ended. The job must already be in the store. */
export async function runJob(job: Job, deps: RunnerDeps, signal?: AbortSignal): Promise<Job> {
  const run = new JobRun(job, deps, signal ?? new AbortController().signal);
  return run.execute();
}

/**
 * Only cleanup failures (phase `remove`) may be ignored, and attempt.ts never lets one end an
 * attempt; should an ignored failure end one anyway, the attempt has no result to keep.
 */
function settled(decision: Decision): Decision & { action: Exclude<Decision['action'], 'ignore'> } {
  if (decision.action !== 'ignore') return { ...decision, action: decision.action };
  return { ...decision, action: 'application' };
}

class JobRun {
  private readonly recorder: EventRecorder;
  private readonly policy: RetryPolicy;
  private readonly rules: readonly Rule[];
  private attemptNumber = 0;

  constructor(
    private job: Job,
    private readonly deps: RunnerDeps,
    private readonly signal: AbortSignal,
  ) {
    this.recorder = new EventRecorder((events) => deps.store.addEvents(events), deps.eventLimits);
    this.rules = deps.rules ?? DEFAULT_RULES;
    this.policy = {
      maxAttempts: job.spec.maxAttempts,
      delayMinMs: job.spec.retryDelayMinMs,
      delayMaxMs: job.spec.retryDelayMaxMs,
    };
  }

  async execute(): Promise<Job> {
    await writeOwner(path.join(this.deps.workRoot, this.job.id));
    await this.update({ status: 'processing', startedAt: this.now() });

    try {
      await this.attemptsLoop();
    } catch (err) {
      // A fault of stevedore itself (a full disk, a bug): the job still ends, and says why.
      const message = `stevedore failed while running the job: ${(err as Error).message}`;
      await this.note('error', message, { err: String((err as Error).stack ?? err) });
      await this.finish('error', 'application', message);
    } finally {
      await this.recorder.close();
      await rm(path.join(this.deps.workRoot, this.job.id), { recursive: true, force: true });
    }

    return this.job;
  }

  private async attemptsLoop(): Promise<void> {
    for (;;) {
      this.attemptNumber += 1;
      const attemptRoot = path.join(
        this.deps.workRoot,
        this.job.id,
        `attempt-${this.attemptNumber}`,
      );

      try {
        const dataDir = await buildDataFolder(attemptRoot, this.job.spec);
        const started = await this.startAttempt();
        const result = await this.runOne(dataDir);
        const decision = settled(classify(result.facts, this.rules));

        if (result.terminated || this.signal.aborted) {
          await this.endAttempt(started, result, { outcome: null, signature: 'terminated' });
          await this.finish('terminated', null, 'the job was stopped before it finished');
          return;
        }

        if (decision.action === 'retry' && mayRetry(this.policy, this.attemptNumber)) {
          const delayMs = retryDelay(this.policy, this.deps.random);
          await this.endAttempt(started, result, {
            outcome: 'transient',
            signature: decision.rule,
            delayMs,
          });
          const text =
            `attempt ${this.attemptNumber} of ${this.policy.maxAttempts}: ${decision.message}` +
            `${result.injected ? ' (an injected fault)' : ''}; ` +
            `retrying in ${formatDuration(delayMs)}`;
          await this.note('warn', text, {
            signature: decision.rule,
            delayMs,
          });
          await this.deps.clock.sleep(delayMs, this.signal);

          // Stopped while waiting: no new container may start, it could write somewhere.
          if (this.signal.aborted) {
            await this.finish('terminated', null, 'the job was stopped before it finished');
            return;
          }
          continue;
        }

        await this.endAttempt(started, result, {
          outcome: decision.action === 'retry' ? 'transient' : decision.action,
          signature: decision.rule,
        });
        await this.decide(decision, dataDir);
        return;
      } finally {
        await rm(attemptRoot, { recursive: true, force: true });
      }
    }
  }

  /** Ends the job as the last attempt's decision says. */
  private async decide(decision: ReturnType<typeof settled>, dataDir: string): Promise<void> {
    if (decision.action === 'success') {
      const skipped = await collectOutput(dataDir, this.job.spec.outputDir);
      if (skipped.length > 0) {
        const text =
          'not copied from out/ (links, pipes and devices are not output): ' + skipped.join(', ');
        await this.note('warn', text, { skipped });
      }
      await this.note('info', `job succeeded; output in ${this.job.spec.outputDir}`, {});
      await this.finish('success', null, null);
      return;
    }

    if (decision.action === 'retry') {
      const message =
        `${decision.message} (engine failure "${decision.rule}", ${this.attemptNumber} ` +
        `attempt${this.attemptNumber === 1 ? '' : 's'} in all, none succeeded)`;
      await this.note('error', message, { signature: decision.rule });
      await this.finish('error', 'application', message);
      return;
    }

    await this.note(decision.action === 'user' ? 'info' : 'error', decision.message, {
      signature: decision.rule,
    });
    await this.finish('error', decision.action, decision.message);
  }

  private async runOne(dataDir: string): Promise<AttemptResult> {
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const tails = { stdout: new TextTail(), stderr: new TextTail() };
    const number = this.attemptNumber;

    const emit = async (stream: OutputStream, lines: string[]) => {
      if (lines.length === 0) return;

      const time = this.now();
      const level = stream === 'stderr' ? 'warn' : 'info';
      const events = lines.map((text): JobEvent => {
        tails[stream].add(text);
        return { jobId: this.job.id, attempt: number, time, stream, level, text };
      });
      await this.events(events);
    };

    const result = await runAttempt({
      engine: this.deps.engine,
      clock: this.deps.clock,
      note: (level, text, fields) => this.note(level, text, fields),
      jobId: this.job.id,
      number,
      spec: this.job.spec,
      dataDir,
      workRoot: this.deps.workRoot,
      signal: this.signal,
      stopGraceSeconds: this.deps.stopGraceSeconds ?? 10,
      sink: async (stream, chunk) => {
        await this.deps.onOutput?.(stream, chunk);
        await emit(stream, splitters[stream].push(chunk));
      },
      onContainer: (containerId) =>
        this.deps.store.updateAttempt(this.job.id, number, { containerId }),
      tails: () => ({ stdout: tails.stdout.toString(), stderr: tails.stderr.toString() }),
    });

    // A last line without a newline is still a line.
    await emit('stdout', splitters.stdout.flush());
    await emit('stderr', splitters.stderr.flush());
    return result;
  }

  private async startAttempt(): Promise<Attempt> {
    const attempt: Attempt = {
      jobId: this.job.id,
      number: this.attemptNumber,
      containerId: null,
      engineHost: this.deps.engine.host,
      startedAt: this.now(),
      finishedAt: null,
      exitCode: null,
      oomKilled: false,
      outcome: null,
      signature: null,
      engineMessage: null,
      phase: null,
      delayMs: null,
    };
    await this.deps.store.addAttempt(attempt);
    this.logger().info({}, 'attempt started');
    return attempt;
  }

  private async endAttempt(
    attempt: Attempt,
    result: AttemptResult,
    decided: Pick<Attempt, 'outcome' | 'signature'> & { delayMs?: number },
  ): Promise<void> {
    const facts: AttemptFacts = result.facts;
    const patch = {
      containerId: result.containerId,
      finishedAt: this.now(),
      exitCode: facts.kind === 'exit' ? facts.exitCode : null,
      oomKilled: facts.kind === 'exit' && facts.oomKilled,
      engineMessage: facts.kind === 'engine' ? facts.engineMessage : null,
      phase: facts.kind === 'engine' ? facts.phase : null,
      outcome: decided.outcome,
      signature: decided.signature,
      delayMs: decided.delayMs ?? null,
    };
    await this.deps.store.updateAttempt(attempt.jobId, attempt.number, patch);

    const durationMs = Date.parse(patch.finishedAt) - Date.parse(attempt.startedAt);
    this.logger().info(
      {
        containerId: patch.containerId?.slice(0, 12) ?? null,
        signature: patch.signature,
        exitCode: patch.exitCode,
        durationMs,
        outcome: patch.outcome,
      },
      'attempt ended',
    );
  }

  private async finish(
    status: Job['status'],
    errorClass: Job['errorClass'],
    message: string | null,
  ) {
    await this.update({
      status,
      errorClass,
      message,
      finishedAt: this.now(),
      droppedEvents: this.recorder.dropped,
    });
  }

  private async update(patch: Partial<Job>): Promise<void> {
    this.job = { ...this.job, ...patch };
    await this.deps.store.updateJob(this.job.id, patch);
  }

  /** A runner message: logged, shown live and kept with the job's events. */
  private async note(level: EventLevel, text: string, fields: object): Promise<void> {
    this.logger()[level](fields, text);
    await this.event({ stream: 'runner', level, text });
  }

  private async event(partial: Pick<JobEvent, 'stream' | 'level' | 'text'>): Promise<void> {
    await this.events([
      { jobId: this.job.id, attempt: this.attemptNumber, time: this.now(), ...partial },
    ]);
  }

  private async events(events: JobEvent[]): Promise<void> {
    await this.recorder.add(events);
    await this.deps.onEvents?.(events);
  }

  private logger(): Logger {
    return this.deps.logger.child({
      jobId: this.job.id,
      attempt: this.attemptNumber,
      image: this.job.spec.image,
    });
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
