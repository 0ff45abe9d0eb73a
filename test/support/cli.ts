// Running the real `stevedore` executable as a user would, and looking at what it left.

import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(REPO, 'bin/stevedore.js');
export const TINY = 'stevedore-test/tiny:latest';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function stevedore(
  args: string[],
  env: Record<string, string>,
  options: {
    onSpawn?: (pid: number) => void;
    onStdout?: (text: string) => void;
    onStderr?: (text: string) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      options.onStdout?.(String(chunk));
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      options.onStderr?.(String(chunk));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (child.pid) options.onSpawn?.(child.pid);
  });
}

/** The final job printed by `run --json`: the last line of stdout. */
export function jobOf(result: CliResult) {
  const last = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(
      `run --json printed no JSON; stdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
}

/** Containers, running or not, that stevedore made for this job. */
export function containersOf(jobId: string): string[] {
  const out = execFileSync('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=io.stevedore.job=${jobId}`,
  ]).toString();
  return out.split('\n').filter(Boolean);
}

/**
 * `stevedore run --json` as the tests use it: no network, retries after 10 to 50 ms rather than
 * the default seconds, the output in `output`.
 */
export async function runJson(args: string[], env: Record<string, string>, output: string) {
  const result = await stevedore(
    [
      'run',
      '--json',
      '--network',
      'none',
      '--retry-delay',
      '10ms..50ms',
      '--output',
      output,
      ...args,
    ],
    env,
  );
  return { result, job: jobOf(result), output };
}

/** Everything a failed expectation about a CLI run needs to be understood. */
export function explain(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}
