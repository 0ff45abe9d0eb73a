// `stevedore run`: one job in the foreground, through the same runner a worker uses.

import { Command, Option } from 'commander';
import path from 'node:path';
import { ulid } from 'ulid';
import { DockerEngine } from '../engine/docker.js';
import {
  FaultInjectingEngine,
  FaultSpecError,
  parseFaultList,
  parseFaultSpec,
  type FaultSpec,
} from '../engine/faults.js';
import type { ContainerEngine, OutputStream } from '../engine/types.js';
import { systemClock } from '../jobs/clock.js';
import type { Job, JobEvent, JobSpec } from '../jobs/model.js';
import { runJob } from '../jobs/runner.js';
import type { Logger } from '../log.js';
import { DEFAULT_RETRY_POLICY } from '../retry/policy.js';
import type { JobStore } from '../store/types.js';
import { formatDurationBetween } from './format.js';
import { attemptJson, jobJson } from './job-json.js';
import { loadRules, RULES_OPTION_HELP } from './rules.js';
import {
  parseConfig,
  parseDelayRange,
  parseDuration,
  parsePair,
  parseSize,
  parseWholeNumber,
  prepareOutputDir,
  removeFolders,
  requirePath,
  UsageError,
} from './options.js';

export interface RunDeps {
  openStore: () => Promise<JobStore>;
  home: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  logger: (level: string) => Promise<Logger>;
  /** The exit code of the command, set when it ends. */
  setExitCode: (code: number) => void;
}

/** Exit codes of `run`, by how the job ended. */
export const EXIT_CODES = {
  success: 0,
  user: 1,
  application: 2,
  usage: 64,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

interface RunOptions {
  config?: string;
  inputTable: string[];
  inputFile: string[];
  dataDir?: string;
  memory: string;
  network: string;
  pull: string;
  timeout: string;
  env: string[];
  retryDelay: string;
  maxAttempts: string;
  output?: string;
  json?: boolean;
  injectFault: string[];
  stopGrace: string;
  logLevel: string;
  rules?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** One part of an image's path: lower-case letters and digits, joined by . _ __ or dashes. */
const PATH_PART = '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*';

/** The shape of an image reference: [registry[:port]/]path[:tag][@digest]. */
const IMAGE_REFERENCE = new RegExp(
  '^([a-zA-Z0-9.-]+(:\\d+)?/)?' +
    `${PATH_PART}(/${PATH_PART})*` +
    '(:\\w[\\w.-]{0,127})?' +
    '(@sha256:[a-f0-9]{64})?$',
);

export function runCommand(deps: RunDeps): Command {
  return new Command('run')
    .description('run one component job in the foreground and wait for its end')
    .argument('<image>', 'the component image, e.g. stevedore-examples/sql-transform:latest')
    .argument('[command...]', "after --: the command to run instead of the image's own")
    .option('--config <file-or-json>', 'config.json for the component: a file or inline JSON')
    .option('--input-table <name=path>', 'a CSV file given as in/tables/NAME.csv', collect, [])
    .option('--input-file <path>', 'a file given in in/files/', collect, [])
    .option('--data-dir <dir>', 'a prepared data folder, copied (never modified)')
    .option('--memory <size>', 'memory limit, no swap beyond it', '256m')
    .addOption(
      new Option('--network <mode>', 'container network')
        .choices(['bridge', 'none'])
        .default('bridge'),
    )
    .addOption(
      new Option('--pull <when>', 'pull the image: when missing, always, or never')
        .choices(['missing', 'always', 'never'])
        .default('missing'),
    )
    .option('--timeout <duration>', 'stop the component after this long', '1h')
    .option('--env <key=value>', 'an environment variable for the component', collect, [])
    .option('--retry-delay <min..max>', 'random wait before retrying an engine failure', '1s..4s')
    .option('--max-attempts <n>', 'attempts in all when the engine keeps failing', '5')
    .option('--output <dir>', 'where out/ is copied on success (default ./stevedore-out/JOB_ID)')
    .option('--json', 'print the finished job as JSON on stdout; live output goes to stderr')
    .option(
      '--inject-fault <phase:count:message>',
      'make the first COUNT engine calls of PHASE fail with MESSAGE (a text or a preset: ' +
        'devicemapper, dev-mapper-missing, connection-reset)',
      collect,
      [],
    )
    .option('--rules <file>', RULES_OPTION_HELP)
    .option('--stop-grace <duration>', 'time between SIGTERM and SIGKILL when stopping', '10s')
    .addOption(
      new Option('--log-level <level>', 'structured log lines on stderr')
        .choices(['silent', 'debug', 'info', 'warn', 'error'])
        .default('silent'),
    )
    .action(async (image: string, command: string[], options: RunOptions) => {
      const code = await run(image, command, options, deps);
      deps.setExitCode(code);
    });
}

async function run(image: string, command: string[], options: RunOptions, deps: RunDeps) {
  const id = ulid();
  const spec = toSpec(id, image, command, options);
  const faults = faultsOf(options, deps.env);
  const rules = loadRules(options.rules);
  const engine = withFaults(new DockerEngine(deps.env), faults);

  const shown = new LiveOutput(options.json ? deps.stderr : deps.stdout, deps.stderr);
  const store = await deps.openStore();
  const outputMade = prepareOutputDir('--output', spec.outputDir);
  const stop = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    stoppedBy ??= signal;
    deps.stderr.write(`stevedore: ${signal} received, stopping the job\n`);
    stop.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  try {
    const job: Job = {
      id,
      status: 'created',
      errorClass: null,
      message: null,
      spec,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      droppedEvents: 0,
    };
    await store.createJob(job);

    const ended = await runJob(
      job,
      {
        engine,
        store,
        rules,
        clock: systemClock,
        random: Math.random,
        logger: await deps.logger(options.logLevel),
        workRoot: path.join(deps.home, 'work'),
        stopGraceSeconds: Math.ceil(parseDuration('--stop-grace', options.stopGrace) / 1000),
        onEvents: (events) => shown.runnerEvents(events),
        onOutput: (stream, chunk) => shown.output(stream, chunk),
      },
      stop.signal,
    );

    const attempts = await store.listAttempts(id);
    if (options.json) {
      const json = { ...jobJson(ended), attempts: attempts.map(attemptJson) };
      deps.stdout.write(`${JSON.stringify(json)}\n`);
    } else {
      deps.stderr.write(`${summary(ended, attempts.length)}\n`);
    }

    // Nothing was copied to a folder made for a job that did not succeed: leave no trace.
    if (ended.status !== 'success') removeFolders(outputMade);

    if (ended.status === 'success') return EXIT_CODES.success;
    if (ended.status === 'terminated') return EXIT_CODES[stoppedBy ?? 'SIGTERM'];
    return ended.errorClass === 'user' ? EXIT_CODES.user : EXIT_CODES.application;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await store.close();
  }
}

/** Turns the flags into the job's spec, checking each; nothing runs if one is wrong. */
function toSpec(id: string, image: string, command: string[], options: RunOptions): JobSpec {
  const delay = parseDelayRange('--retry-delay', options.retryDelay);
  const memoryBytes = parseSize('--memory', options.memory);
  if (memoryBytes < 6 * 1024 * 1024) {
    throw new UsageError(`--memory: ${options.memory} is below the engine's minimum of 6m`);
  }
  if (memoryBytes > 1024 ** 4) {
    throw new UsageError(`--memory: ${options.memory} is more than 1024g`);
  }
  if (!IMAGE_REFERENCE.test(image)) {
    throw new UsageError(
      `"${image}" is not an image name; write it like name, name:tag or registry/name:tag`,
    );
  }
  const timeoutMs = parseDuration('--timeout', options.timeout);
  if (timeoutMs < 1000) {
    throw new UsageError(`--timeout: ${options.timeout} is shorter than the shortest, 1s`);
  }

  const inputTables: Record<string, string> = {};
  for (const text of options.inputTable) {
    const { key, value } = parsePair('--input-table', text, /^[A-Za-z0-9_.-]+$/, 'NAME');
    if (key === '.' || key === '..' || key in inputTables) {
      throw new UsageError(
        `--input-table: the table name "${key}" is given twice or is not a name`,
      );
    }
    requirePath('--input-table', value, 'file');
    inputTables[key] = path.resolve(value);
  }

  const fileNames = new Set<string>();
  for (const file of options.inputFile) {
    requirePath('--input-file', file, 'any');
    const name = path.basename(path.resolve(file));
    if (fileNames.has(name)) {
      throw new UsageError(
        `--input-file: two files are named ${name}; in/files/ can hold only one`,
      );
    }
    fileNames.add(name);
  }
  if (options.dataDir) requirePath('--data-dir', options.dataDir, 'directory');

  const env: Record<string, string> = {};
  for (const text of options.env) {
    const { key, value } = parsePair('--env', text, /^[A-Za-z_][A-Za-z0-9_]*$/, 'KEY');
    if (key.startsWith('KBC_')) {
      throw new UsageError(
        `--env: ${key} is set by stevedore itself (KBC_* variables are reserved)`,
      );
    }
    env[key] = value;
  }

  return {
    image,
    pull: options.pull as JobSpec['pull'],
    command: command.length > 0 ? command : null,
    config: options.config === undefined ? null : parseConfig('--config', options.config),
    inputTables,
    inputFiles: options.inputFile.map((file) => path.resolve(file)),
    dataDir: options.dataDir ? path.resolve(options.dataDir) : null,
    env,
    memoryBytes,
    network: options.network as JobSpec['network'],
    timeoutMs,
    maxAttempts: parseWholeNumber('--max-attempts', options.maxAttempts, 1, 100),
    retryDelayMinMs: delay.minMs,
    retryDelayMaxMs: delay.maxMs,
    outputDir: path.resolve(options.output ?? path.join('stevedore-out', id)),
    projectId: 'local',
    componentId: image.replace(/:[^/:]*$/, ''),
    configId: id,
  };
}

function faultsOf(options: RunOptions, env: NodeJS.ProcessEnv): FaultSpec[] {
  return [
    ...explainFaults('STEVEDORE_INJECT_FAULTS', () => parseFaultList(env.STEVEDORE_INJECT_FAULTS)),
    ...explainFaults('--inject-fault', () =>
      options.injectFault.map((text) => parseFaultSpec(text)),
    ),
  ];
}

function explainFaults(source: string, parse: () => FaultSpec[]): FaultSpec[] {
  try {
    return parse();
  } catch (err) {
    if (err instanceof FaultSpecError) throw new UsageError(`${source}: ${err.message}`);
    throw err;
  }
}

function withFaults(engine: ContainerEngine, faults: FaultSpec[]): ContainerEngine {
  return faults.length > 0 ? new FaultInjectingEngine(engine, faults) : engine;
}

/**
 * Shows the component's output as it comes, and stevedore's own messages between, each of
 * those on a line of its own even when the component's last output did not end one.
 */
class LiveOutput {
  private stderrMidLine = false;

  constructor(
    private readonly live: NodeJS.WritableStream,
    private readonly stderr: NodeJS.WritableStream,
  ) {}

  output(stream: OutputStream, chunk: Buffer) {
    const target = stream === 'stdout' ? this.live : this.stderr;
    if (target === this.stderr && chunk.length > 0) {
      this.stderrMidLine = chunk[chunk.length - 1] !== 0x0a;
    }
    return write(target, chunk);
  }

  runnerEvents(events: JobEvent[]) {
    const lines = events
      .filter((event) => event.stream === 'runner')
      .map((event) => `stevedore: ${event.text}\n`);
    if (lines.length === 0) return;

    const text = `${this.stderrMidLine ? '\n' : ''}${lines.join('')}`;
    this.stderrMidLine = false;
    return write(this.stderr, text);
  }
}

/** Writes, and waits when the terminal or pipe is full rather than buffering in memory. */
function write(target: NodeJS.WritableStream, text: string | Buffer): Promise<void> | void {
  if (target.write(text)) return;
  return new Promise<void>((resolve) => target.once('drain', resolve));
}

/** One closing line; the runner's own messages have said the details already. */
function summary(job: Job, attempts: number): string {
  const took = formatDurationBetween(job.startedAt, job.finishedAt);
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  const how = job.status === 'error' ? `${job.errorClass} error` : job.status;
  const details = job.status === 'success' ? '' : `; details: stevedore jobs show ${job.id}`;
  return `stevedore: job ${job.id}: ${how} after ${took}, ${tries}${details}`;
}
