// The Docker implementation of ContainerEngine: the only code in stevedore that knows Docker.

import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { EngineError, type EngineErrorKind, type EnginePhase } from './errors.js';
import { FrameDecoder } from './demux.js';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerSpec,
  FoundContainer,
  OutputSink,
  PullPolicy,
} from './types.js';

/** Error codes of a socket that cannot reach the engine or lost it mid-call. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);

/** The engine keeps at most this much of a container's own log; stevedore keeps its events. */
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } };

export class DockerEngine implements ContainerEngine {
  readonly host: string;
  private readonly docker: Docker;

  /** Connects as the `docker` client would: `DOCKER_HOST` if set, else the local socket. */
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.docker = new Docker();
    this.host = env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  }

  async ensureImage(image: string, pull: PullPolicy = 'missing'): Promise<void> {
    if (pull !== 'always') {
      try {
        await this.docker.getImage(image).inspect();
        return;
      } catch (err) {
        if (statusOf(err) !== 404) throw toEngineError('pull', err);
      }
    }

    if (pull === 'never') {
      const message = `image ${image} is not on this engine host, and --pull never forbids pulling`;
      throw new EngineError('pull', 'image-missing', message, 404);
    }

    try {
      await this.pull(image);
    } catch (err) {
      const cause = toEngineError('pull', err);
      throw new EngineError(
        'pull',
        cause.kind === 'unavailable' ? 'unavailable' : 'image-missing',
        `pulling image ${image} failed: ${cause.engineMessage}`,
        cause.statusCode,
        null,
        { cause: err },
      );
    }
  }

  async create(spec: ContainerSpec): Promise<string> {
    try {
      const container = await this.docker.createContainer({
        Image: spec.image,
        ...(spec.command ? { Cmd: spec.command } : {}),
        Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
        Labels: spec.labels,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        OpenStdin: false,
        HostConfig: {
          Binds: [`${spec.dataDir}:/data`],
          Memory: spec.memoryBytes,
          // Equal to Memory: no swap beyond the limit, so the limit is the limit.
          MemorySwap: spec.memoryBytes,
          NetworkMode: spec.network,
          LogConfig: LOG_CONFIG,
        },
      });
      return container.id;
    } catch (err) {
      throw toEngineError('create', err);
    }
  }

  async start(id: string, sink: OutputSink): Promise<{ outputDone: Promise<void> }> {
    const container = this.docker.getContainer(id);

    let stream: Readable;
    try {
      // Attach before start so that not one byte of a short-lived container's output is lost.
      stream = (await container.attach({
        stream: true,
        stdout: true,
        stderr: true,
      })) as unknown as Readable;
    } catch (err) {
      throw toEngineError('start', err, id);
    }

    const outputDone = pump(stream, sink);
    // Settled by the caller; until then, keep a failure from being reported as unhandled.
    outputDone.catch(() => undefined);

    try {
      await container.start();
    } catch (err) {
      stream.destroy();
      throw toEngineError('start', err, id);
    }

    return { outputDone };
  }

  async wait(id: string): Promise<ContainerExit> {
    const container = this.docker.getContainer(id);

    let exitCode: number;
    try {
      const answer = (await container.wait()) as { StatusCode: number };
      exitCode = answer.StatusCode;
    } catch (err) {
      throw toEngineError('wait', err, id);
    }

    try {
      const info = await container.inspect();
      return { exitCode, oomKilled: info.State.OOMKilled === true };
    } catch (err) {
      throw toEngineError('inspect', err, id);
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (err) {
      // 304: already stopped; 404: already gone. Either way it is not running.
      const status = statusOf(err);
      if (status === 304 || status === 404) return;
      throw toEngineError('stop', err, id);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return;
      if (status === 409 && /already in progress/i.test(messageOf(err))) return;
      throw toEngineError('remove', err, id);
    }
  }

  async findByLabels(labels: Record<string, string>): Promise<FoundContainer[]> {
    try {
      const found = await this.docker.listContainers({
        all: true,
        filters: { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) },
      });
      return found.map((container) => ({
        id: container.Id,
        labels: container.Labels ?? {},
        running: container.State === 'running',
      }));
    } catch (err) {
      throw toEngineError('inspect', err);
    }
  }

  private async pull(image: string): Promise<void> {
    const stream = (await this.docker.pull(image)) as Readable;

    // A pull answers 200 at once and reports its failure inside the progress stream.
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: unknown, events: unknown[]) => {
        if (err) return reject(err);
        const failed = events.find(
          (event): event is { error: string } =>
            typeof (event as { error?: unknown }).error === 'string',
        );
        if (failed) return reject(new Error(failed.error));
        resolve();
      });
    });
  }
}

/** Reads the attach stream to its end, handing each frame to the sink in order. */
async function pump(stream: Readable, sink: OutputSink): Promise<void> {
  const decoder = new FrameDecoder();

  for await (const chunk of stream) {
    for (const frame of decoder.push(chunk as Buffer)) {
      await sink(frame.stream, frame.payload);
    }
  }
}

function statusOf(err: unknown): number | null {
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : null;
}

/** The engine's own message: the JSON body's `message` when it answered, else the socket's. */
function messageOf(err: unknown): string {
  const { json, reason, message } = (err ?? {}) as {
    json?: unknown;
    reason?: unknown;
    message?: unknown;
  };

  if (
    json &&
    typeof json === 'object' &&
    typeof (json as { message?: unknown }).message === 'string'
  ) {
    return (json as { message: string }).message;
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  if (typeof message === 'string' && message) return message;
  if (typeof reason === 'string') return reason;
  return String(err);
}

function toEngineError(phase: EnginePhase, err: unknown, containerId: string | null = null) {
  if (err instanceof EngineError) return err;

  const status = statusOf(err);
  const message = messageOf(err);
  const code = (err as { code?: unknown })?.code;

  let kind: EngineErrorKind = 'other';
  if (status === null && (CONNECTION_CODES.has(String(code)) || /socket hang up/i.test(message))) {
    kind = 'unavailable';
  } else if (status === 404 && /no such image|pull access denied|not found/i.test(message)) {
    kind = phase === 'create' || phase === 'pull' ? 'image-missing' : 'not-found';
  } else if (status === 404) {
    kind = 'not-found';
  } else if (status === 409) {
    kind = 'conflict';
  }

  return new EngineError(phase, kind, message, status, containerId, { cause: err });
}
