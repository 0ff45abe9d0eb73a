#!/usr/bin/env node
// How much slower is `stevedore run` than a plain `docker run` of the same trivial container?
// Runs both in turn (A B A B ...) after warm-up runs, and prints the median, p10 and p90 wall
// times and the ratio of the medians against the target. A missed target is reported, not
// failed: a benchmark measures. A run that fails is an error, and the exit code says so.
//
//   node bench/run-vs-docker.js [--runs N] [--json] [--bin PATH] [--image IMAGE]
//                               [--without-extra-ca-certs]
//
// Needs the compiled CLI (dist/), a running engine and the image: `npm run bench` sees to all.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_RATIO = 1.3;
const WARMUP_RUNS = 2;
const MIN_RUNS = 10;
/** A run taking longer than this is stuck, not slow. */
const RUN_TIMEOUT_MS = 60_000;

const USAGE = `usage: node bench/run-vs-docker.js [--runs N] [--json] [--bin PATH] [--image IMAGE]
                                   [--without-extra-ca-certs]
  --runs N       measured runs of each command, at least ${MIN_RUNS} (default 15)
  --json         print the figures as JSON instead of a table
  --bin PATH     the stevedore executable to measure (default bin/stevedore.js)
  --image IMAGE  the image to run (default stevedore-test/tiny:latest)
  --without-extra-ca-certs
                 run stevedore without NODE_EXTRA_CA_CERTS: Node 20 reads and parses that
                 file at every start, before any of stevedore's code runs
`;

class RunFailed extends Error {}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string', default: '15' },
        json: { type: 'boolean', default: false },
        bin: { type: 'string', default: path.join(ROOT, 'bin/stevedore.js') },
        image: { type: 'string', default: 'stevedore-test/tiny:latest' },
        'without-extra-ca-certs': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }

  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < MIN_RUNS) {
    usage(`--runs: give a whole number of at least ${MIN_RUNS}`);
  }
  const bin = path.resolve(values.bin);
  if (!existsSync(bin)) usage(`${bin} does not exist`);
  if (
    bin === path.join(ROOT, 'bin/stevedore.js') &&
    !existsSync(path.join(ROOT, 'dist/cli/main.js'))
  ) {
    usage('dist/ is not built: run `npm run build` (or `npm run bench`, which builds it)');
  }
  return {
    runs,
    json: values.json,
    bin,
    image: values.image,
    withoutExtraCaCerts: values['without-extra-ca-certs'],
  };
}

function usage(message) {
  process.stderr.write(`run-vs-docker: ${message}\n${USAGE}`);
  process.exit(64);
}

/** Runs one command to its end and answers its wall time in milliseconds. */
function timed(label, command, args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);

    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new RunFailed(`${label}: could not start ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) return resolve(ms);
      const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
      reject(new RunFailed(`${label} ${how}: ${command} ${args.join(' ')}\n${stderr.trimEnd()}`));
    });
  });
}

/** The q-quantile (0..1) of sorted values, interpolating between neighbours. */
function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

function figures(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (ms) => Math.round(ms * 10) / 10;
  return {
    medianMs: round(quantile(sorted, 0.5)),
    p10Ms: round(quantile(sorted, 0.1)),
    p90Ms: round(quantile(sorted, 0.9)),
    samplesMs: samples.map(round),
  };
}

function table(result) {
  const caNote = result.stevedoreEnv.NODE_EXTRA_CA_CERTS
    ? [
        `note: NODE_EXTRA_CA_CERTS is set (${result.stevedoreEnv.NODE_EXTRA_CA_CERTS}); Node 20 ` +
          'parses that file at every start, which the docker client does not;',
        '      --without-extra-ca-certs measures stevedore without it',
        '',
      ]
    : [];
  const s = (ms) => (ms / 1000).toFixed(3).padStart(8);
  const row = (name, f) => `${name.padEnd(12)}${s(f.medianMs)}${s(f.p10Ms)}${s(f.p90Ms)}`;
  return [
    `stevedore run vs docker run: ${result.runs} runs each, alternating, ` +
      `after ${result.warmupRuns} warm-up runs each`,
    `image ${result.image}, command \`true\`, --network none`,
    '',
    `${''.padEnd(12)}${'median'.padStart(8)}${'p10'.padStart(8)}${'p90'.padStart(8)}  (seconds)`,
    row('stevedore', result.stevedore),
    row('docker run', result.docker),
    '',
    `ratio of medians (stevedore / docker): ${result.ratio.toFixed(2)}; ` +
      `target at most ${result.targetRatio.toFixed(2)}: ${result.targetMet ? 'met' : 'NOT met'}`,
    '',
    ...caNote,
  ].join('\n');
}

async function main() {
  const { runs, json, bin, image, withoutExtraCaCerts } = options();
  const work = await mkdtemp(path.join(tmpdir(), 'stevedore-bench-'));
  // The bench's own store, so that it neither reads nor fills the user's ~/.stevedore.
  const env = { ...process.env, STEVEDORE_HOME: path.join(work, 'home') };
  const stevedoreEnv = { ...env };
  if (withoutExtraCaCerts) delete stevedoreEnv.NODE_EXTRA_CA_CERTS;
  let outputs = 0;

  const stevedore = () =>
    timed(
      'stevedore',
      process.execPath,
      [
        bin,
        'run',
        image,
        '--network',
        'none',
        '--output',
        path.join(work, `out-${++outputs}`),
        '--',
        'true',
      ],
      stevedoreEnv,
    );
  const docker = () =>
    timed('docker run', 'docker', ['run', '--rm', '--network', 'none', image, 'true'], env);

  const removeWork = () => rm(work, { recursive: true, force: true });
  const onSignal = (signal) => {
    removeWork().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // The first stevedore run also creates its store; warm-up runs are not counted.
    for (let i = 0; i < WARMUP_RUNS; i++) {
      await stevedore();
      await docker();
    }

    const samples = { stevedore: [], docker: [] };
    const progress = !json && process.stderr.isTTY;
    for (let i = 0; i < runs; i++) {
      samples.stevedore.push(await stevedore());
      samples.docker.push(await docker());
      if (progress) process.stderr.write(`\rrun ${i + 1}/${runs}`);
    }
    if (progress) process.stderr.write('\r\x1b[K');

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      image,
      runs,
      warmupRuns: WARMUP_RUNS,
      stevedoreEnv: { NODE_EXTRA_CA_CERTS: stevedoreEnv.NODE_EXTRA_CA_CERTS ?? null },
      stevedore: figures(samples.stevedore),
      docker: figures(samples.docker),
      ratio: 0,
      targetRatio: TARGET_RATIO,
      targetMet: false,
    };
    result.ratio = Math.round((result.stevedore.medianMs / result.docker.medianMs) * 1000) / 1000;
    result.targetMet = result.ratio <= TARGET_RATIO;

    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : table(result));
    return 0;
  } catch (err) {
    if (!(err instanceof RunFailed)) throw err;
    process.stderr.write(`\nrun-vs-docker: a run failed, no figures:\n${err.message}\n`);
    return 1;
  } finally {
    await removeWork();
  }
}

process.exitCode = await main();
