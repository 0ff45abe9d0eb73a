// A ContainerEngine whose containers do what a test says: for unit tests of the runner's logic.
// Engine behaviour itself is proven against the real engine in test/integration.

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerSpec,
  OutputSink,
  FoundContainer,
} from '../../src/engine/types.js';
import type { Clock } from '../../src/jobs/clock.js';

/** What one scripted container does when started. */
export interface ScriptedRun {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  oomKilled?: boolean;
  /** Never ends by itself: only a stop ends it (exit 143). */
  hang?: boolean;
  /** Called with the mounted data folder, as the container would see /data. */
  touch?: (dataDir: string) => void;
}

export class ScriptedEngine implements ContainerEngine {
  readonly host = 'scripted://test';
  readonly created: ContainerSpec[] = [];
  /** The files under out/ at the moment each container was created. */
  readonly outAtCreate: string[][] = [];
  readonly removed: string[] = [];
  readonly stopped: string[] = [];
  readonly started: string[] = [];
  private readonly runs = new Map<
    string,
    { run: ScriptedRun; end: (exit: ContainerExit) => void; ended: Promise<ContainerExit> }
  >();

  /** Each new container takes the next run; the last one repeats. */
  constructor(private readonly script: ScriptedRun[]) {}

  async ensureImage(): Promise<void> {}

  async create(spec: ContainerSpec): Promise<string> {
    this.created.push(spec);
    this.outAtCreate.push(listFiles(path.join(spec.dataDir, 'out')));

    const id = `container${this.created.length}`.padEnd(64, '0');
    const run = this.script[Math.min(this.created.length, this.script.length) - 1] ?? {};
    let end!: (exit: ContainerExit) => void;
    const ended = new Promise<ContainerExit>((resolve) => {
      end = resolve;
    });
    this.runs.set(id, { run, end, ended });
    return id;
  }

  async start(id: string, sink: OutputSink): Promise<{ outputDone: Promise<void> }> {
    const entry = this.runs.get(id);
    if (!entry) throw new Error(`no container ${id}`);
    const { run } = entry;
    this.started.push(id);

    run.touch?.(this.created[this.created.length - 1]?.dataDir ?? '');
    const outputDone = (async () => {
      if (run.stdout) await sink('stdout', Buffer.from(run.stdout));
      if (run.stderr) await sink('stderr', Buffer.from(run.stderr));
    })();

    if (!run.hang) entry.end({ exitCode: run.exitCode ?? 0, oomKilled: run.oomKilled ?? false });
    return { outputDone };
  }

  async wait(id: string): Promise<ContainerExit> {
    const entry = this.runs.get(id);
    if (!entry) throw new Error(`no container ${id}`);
    return entry.ended;
  }

  async stop(id: string): Promise<void> {
    this.stopped.push(id);
    this.runs.get(id)?.end({ exitCode: 143, oomKilled: false });
  }

  async remove(id: string): Promise<void> {
    this.removed.push(id);
    this.runs.get(id)?.end({ exitCode: 137, oomKilled: false });
  }

  async findByLabels(): Promise<FoundContainer[]> {
    return [];
  }
}

/**
 * A clock that never really waits: each sleep that is not aborted before the next turn of the
 * event loop moves the time forward and is recorded. Sleeps longer than `holdAboveMs` never
 * end by themselves (only an abort ends them), for tests where a timeout must not fire.
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  private time = Date.parse('2026-01-01T00:00:00Z');

  constructor(private readonly holdAboveMs = Number.POSITIVE_INFINITY) {}

  now(): Date {
    return new Date(this.time);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (ms > this.holdAboveMs) {
        if (signal?.aborted) return resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
        return;
      }

      setImmediate(() => {
        if (!signal?.aborted) {
          this.sleeps.push(ms);
          this.time += ms;
        }
        resolve();
      });
    });
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String).sort();
  } catch {
    return [];
  }
}
