// A ContainerEngine wrapper that makes chosen engine calls fail with a chosen message.
// The engine's rare failures cannot be produced on demand; this produces them, in tests and
// in staging, on top of a real engine, so every path after a failure is the real one.

import { EngineError, type EnginePhase } from './errors.js';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerSpec,
  FoundContainer,
  OutputSink,
  PullPolicy,
} from './types.js';

export interface FaultSpec {
  phase: FaultPhase;
  /** How many of the first calls of this phase fail. */
  count: number;
  message: string;
}

export const FAULT_PHASES = ['pull', 'create', 'start', 'wait', 'remove'] as const;
export type FaultPhase = (typeof FAULT_PHASES)[number] & EnginePhase;

/** Messages of engine failures seen in production, by a short name. */
export const FAULT_PRESETS: Record<string, string> = {
  devicemapper:
    'Error response from daemon: devicemapper: Error running deviceResume dm_task_run failed',
  'dev-mapper-missing':
    'Error response from daemon: open /dev/mapper/docker-253:1-1311060-' +
    '5c3ad53e8a1f: no such file or directory',
  'connection-reset': 'read unix @->/var/run/docker.sock: read: connection reset by peer',
};

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

/** Reads `PHASE:COUNT:MESSAGE`; MESSAGE is free text or the name of a preset. */
export function parseFaultSpec(text: string): FaultSpec {
  const [phase = '', count = '', ...rest] = text.trim().split(':');
  const message = rest.join(':').trim();
  if (!message) {
    throw new FaultSpecError(
      `fault "${text}" is not PHASE:COUNT:MESSAGE (for example create:2:devicemapper)`,
    );
  }

  const known = phase.toLowerCase();
  if (!(FAULT_PHASES as readonly string[]).includes(known)) {
    throw new FaultSpecError(
      `fault "${text}": phase "${phase}" is not one of ${FAULT_PHASES.join(', ')}`,
    );
  }
  if (!/^\d+$/.test(count)) {
    throw new FaultSpecError(`fault "${text}": count "${count}" is not a whole number`);
  }

  return {
    phase: known as FaultPhase,
    count: Number(count),
    message: Object.hasOwn(FAULT_PRESETS, message) ? (FAULT_PRESETS[message] ?? message) : message,
  };
}

/** Reads the `STEVEDORE_INJECT_FAULTS` form: specs separated by newlines or `;;`. */
export function parseFaultList(text: string | undefined): FaultSpec[] {
  if (!text?.trim()) return [];
  return text
    .split(/\n|;;/)
    .filter((part) => part.trim())
    .map(parseFaultSpec);
}

export class FaultInjectingEngine implements ContainerEngine {
  readonly host: string;
  private readonly remaining: FaultSpec[];

  constructor(
    private readonly inner: ContainerEngine,
    faults: FaultSpec[],
  ) {
    this.host = inner.host;
    this.remaining = faults.map((fault) => ({ ...fault }));
  }

  async ensureImage(image: string, pull?: PullPolicy): Promise<void> {
    this.failIfScheduled('pull', null);
    return this.inner.ensureImage(image, pull);
  }

  async create(spec: ContainerSpec): Promise<string> {
    this.failIfScheduled('create', null);
    return this.inner.create(spec);
  }

  async start(id: string, sink: OutputSink): Promise<{ outputDone: Promise<void> }> {
    this.failIfScheduled('start', id);
    return this.inner.start(id, sink);
  }

  async wait(id: string): Promise<ContainerExit> {
    this.failIfScheduled('wait', id);
    return this.inner.wait(id);
  }

  stop(id: string, graceSeconds: number): Promise<void> {
    return this.inner.stop(id, graceSeconds);
  }

  async remove(id: string): Promise<void> {
    this.failIfScheduled('remove', id);
    return this.inner.remove(id);
  }

  findByLabels(labels: Record<string, string>): Promise<FoundContainer[]> {
    return this.inner.findByLabels(labels);
  }

  /** Throws the next scheduled fault of this phase, as the engine would have: HTTP 500. */
  private failIfScheduled(phase: FaultPhase, containerId: string | null): void {
    const fault = this.remaining.find((candidate) => candidate.phase === phase && candidate.count);
    if (!fault) return;

    fault.count -= 1;
    throw new EngineError(phase, 'other', fault.message, 500, containerId, { injected: true });
  }
}
