// The container engine as stevedore uses it: a handful of calls, each one phase of an attempt.

import type { EnginePhase } from './errors.js';

export interface ContainerSpec {
  image: string;
  /** Overrides the image's command; null keeps the image's own. */
  command: string[] | null;
  env: Record<string, string>;
  /** Every container stevedore creates carries labels naming its job and attempt. */
  labels: Record<string, string>;
  /** A folder on the engine's host, mounted read-write at /data. */
  dataDir: string;
  memoryBytes: number;
  network: 'bridge' | 'none';
}

export interface ContainerExit {
  exitCode: number;
  /** True only when the engine says the kernel killed the container for its memory limit. */
  oomKilled: boolean;
}

export type OutputStream = 'stdout' | 'stderr';

/**
 * Receives the container's output as it arrives. Returning a promise makes the engine wait
 * before reading more, so a slow terminal slows the container rather than filling memory.
 */
export type OutputSink = (stream: OutputStream, chunk: Buffer) => void | Promise<void>;

/** When to pull: only a missing image (the default), every time, or never. */
export type PullPolicy = 'missing' | 'always' | 'never';

export interface FoundContainer {
  id: string;
  labels: Record<string, string>;
  running: boolean;
}

export interface ContainerEngine {
  /** Names the engine host, for the attempt record (the socket or address). */
  readonly host: string;

  /** Makes sure the image is on the host, pulling as the policy says. Phase `pull`. */
  ensureImage(image: string, pull?: PullPolicy): Promise<void>;

  /** Creates a container and answers its id. Phase `create`. */
  create(spec: ContainerSpec): Promise<string>;

  /**
   * Attaches to the output, then starts the container. Phase `start`. The answered promise
   * settles once all output has been handed to the sink (after the container ends).
   */
  start(id: string, sink: OutputSink): Promise<{ outputDone: Promise<void> }>;

  /** Waits for the container to end, then inspects it. Phase `wait`. */
  wait(id: string): Promise<ContainerExit>;

  /** Stops a running container: SIGTERM, then SIGKILL after the grace period. Phase `stop`. */
  stop(id: string, graceSeconds: number): Promise<void>;

  /** Removes a container, running or not; a container already gone is not an error. */
  remove(id: string): Promise<void>;

  /** Containers, running or not, that carry all of these labels. Phase `inspect`. */
  findByLabels(labels: Record<string, string>): Promise<FoundContainer[]>;
}

export type { EnginePhase };
