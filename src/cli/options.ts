// Reading the values people type: sizes, durations, KEY=VALUE pairs and the job's config.
// Each failure is a UsageError that names the flag, what was wrong and what would be right.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { makeFolders } from '../folders.js';

/** A mistake in how stevedore was called: nothing was run. Exit code 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Reads a size as the docker client does: `256m`, `1g`, `512k`, or bytes. */
export function parseSize(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i.exec(text.trim());
  if (!match) {
    throw new UsageError(`${flag}: "${text}" is not a size; write it like 256m, 1g or 512k`);
  }

  const unit = SIZE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** Node's timers hold at most 2^31 - 1 ms (24.8 days); 596h is the last whole hour below. */
const MAX_DURATION_MS = 596 * 3_600_000;

/** Reads a duration: `500ms`, `30s`, `5m`, `1h`, or a combination such as `1m30s`. */
export function parseDuration(flag: string, text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const joined = parts.map((part) => part[0]).join('');

  if (parts.length === 0 || joined !== text.trim()) {
    throw new UsageError(
      `${flag}: "${text}" is not a duration; write it like 30s, 5m, 1h or 1m30s`,
    );
  }

  const ms = parts.reduce(
    (sum, part) => sum + Number(part[1]) * (DURATION_UNITS[part[2] ?? 'ms'] ?? 1),
    0,
  );

  if (ms > MAX_DURATION_MS) {
    throw new UsageError(
      `${flag}: "${text}" is too long; at most 596h, the longest wait Node's timers can hold`,
    );
  }
  return Math.round(ms);
}

/** Reads `MIN..MAX` (or one duration, for a fixed delay). */
export function parseDelayRange(flag: string, text: string): { minMs: number; maxMs: number } {
  const [low = '', high, extra] = text.split('..');
  if (extra !== undefined) {
    throw new UsageError(`${flag}: "${text}" is not MIN..MAX; write it like 1s..4s`);
  }

  const minMs = parseDuration(flag, low);
  const maxMs = high === undefined ? minMs : parseDuration(flag, high);
  if (maxMs < minMs) {
    throw new UsageError(
      `${flag}: the longest delay (${high}) is shorter than the shortest (${low})`,
    );
  }
  return { minMs, maxMs };
}

export function parseWholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`${flag}: "${text}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Reads `KEY=VALUE`; the value may contain `=`. */
export function parsePair(flag: string, text: string, keyPattern: RegExp, keyWord: string) {
  const at = text.indexOf('=');
  const key = at === -1 ? '' : text.slice(0, at);
  if (!keyPattern.test(key)) {
    throw new UsageError(
      `${flag}: "${text}" is not ${keyWord}=VALUE (${keyWord} must match ${keyPattern.source})`,
    );
  }
  return { key, value: text.slice(at + 1) };
}

/** The Common Interface's config.json: an object; the known keys must have their types. */
const configSchema = z.looseObject({
  parameters: z.record(z.string(), z.unknown()).optional(),
  storage: z.record(z.string(), z.unknown()).optional(),
  image_parameters: z.record(z.string(), z.unknown()).optional(),
  action: z.string().optional(),
});

/** Reads `--config`: inline JSON when it starts with `{`, else the path of a JSON file. */
export function parseConfig(flag: string, text: string): Record<string, unknown> {
  const inline = /^\s*[[{]/.test(text);
  const where = inline ? 'the inline config' : `config file ${text}`;

  let source = text;
  if (!inline) {
    try {
      source = readFileSync(text, 'utf8');
    } catch (err) {
      throw new UsageError(`${flag}: cannot read ${where}: ${(err as Error).message}`);
    }
  }

  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    throw new UsageError(`${flag}: ${where} is not valid JSON: ${(err as Error).message}`);
  }

  const checked = configSchema.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const at = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
    throw new UsageError(`${flag}: ${where} is not a valid config${at}: ${issue?.message}`);
  }
  return checked.data;
}

/** Checks that a path given on the command line is there and of the right kind. */
export function requirePath(flag: string, file: string, kind: 'file' | 'directory' | 'any') {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    throw new UsageError(`${flag}: ${file} does not exist`);
  }

  if (kind === 'file' && !stats.isFile()) throw new UsageError(`${flag}: ${file} is not a file`);
  if (kind === 'directory' && !stats.isDirectory()) {
    throw new UsageError(`${flag}: ${file} is not a directory`);
  }
}

/**
 * Makes sure the output folder can take the job's output before anything runs, and answers
 * the folders it made (to be removed if the job fails). An existing folder must be empty, so
 * that older files are never mixed with this job's output.
 */
export function prepareOutputDir(flag: string, dir: string): string[] {
  if (!dir.trim()) throw new UsageError(`${flag}: the folder name is empty`);

  let made: string[] = [];
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${flag}: ${dir} is not a folder`);
    if (readdirSync(dir).length > 0) {
      throw new UsageError(
        `${flag}: ${dir} is not empty; give a new or empty folder, so that older files are ` +
          "not mistaken for this job's output",
      );
    }
  } else {
    try {
      made = makeFolders(dir);
    } catch (err) {
      throw new UsageError(`${flag}: cannot create ${dir}: ${(err as Error).message}`);
    }
  }

  // Writing a folder into it proves what permissions alone do not (read-only mounts, /sys).
  try {
    rmdirSync(mkdtempSync(path.join(dir, '.stevedore-check-')));
  } catch (err) {
    removeFolders(made);
    throw new UsageError(`${flag}: cannot write in ${dir}: ${(err as Error).message}`);
  }
  return made;
}

/** Removes folders made by prepareOutputDir, innermost first, as long as they are empty. */
export function removeFolders(made: string[]): void {
  for (const folder of [...made].reverse()) {
    try {
      rmdirSync(folder);
    } catch {
      return;
    }
  }
}
