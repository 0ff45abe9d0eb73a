// The demo's path end to end on the real engine: `stevedore run` of the SQL example
// on Seattle's weather, checked against sums this test makes itself from the same CSV.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_INPUT, WEATHER_KINDS, demoConfig, demoRunArgs } from '../../scripts/demo-config.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The query rounds to 2 decimals; the test's own averages are not rounded.
const ROUNDING = 0.006;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface JobJson {
  id: string;
  status: string;
  errorClass: string | null;
  message: string | null;
  outputDir: string | null;
  attempts: { number: number; outcome: string | null; exitCode: number | null }[];
}

interface Month {
  days: number;
  tempMaxSum: number;
  precipitation: number;
  weather: Record<string, number>;
}

let home: string;

beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), 'stevedore-demo-test-'));
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('the demo: sql-transform on seattle-weather.csv', () => {
  it('writes one row per month that matches the sums of the input', async () => {
    const output = path.join(home, 'out-demo');
    const run = await stevedore(demoRunArgs({ repo, config: demoConfig, output }));
    expect(run.code, run.stderr).toBe(0);
    const job = parseJob(run);
    expect(job.status).toBe('success');
    expect(job.attempts.length).toBeGreaterThanOrEqual(1);

    const rows = readCsv(path.join(job.outputDir ?? output, 'tables', 'monthly.csv'));
    const days = readCsv(path.join(repo, DEMO_INPUT));
    // A kind of weather the query does not count would go unnoticed below.
    expect(new Set(days.map((d) => d.weather))).toEqual(new Set(WEATHER_KINDS));
    const expected = monthsOf(days);
    expect(rows.map((r) => r.month)).toEqual([...expected.keys()].sort());
    expect(rows).toHaveLength(48);

    for (const row of rows) {
      const month = expected.get(row.month!)!;
      expectNear(row.avg_temp_max, month.tempMaxSum / month.days, `${row.month} avg_temp_max`);
      expectNear(row.precipitation, month.precipitation, `${row.month} precipitation`);
      for (const kind of WEATHER_KINDS) {
        expect(Number(row[kind]), `${row.month} ${kind}`).toBe(month.weather[kind] ?? 0);
      }
    }
  });

  it("ends a failing SQL statement as a user error naming it and SQLite's error", async () => {
    const statement = 'CREATE TABLE broken AS SELECT no_such_column FROM weather';
    const config = { parameters: { queries: [statement], output_tables: ['broken'] } };
    const run = await stevedore(
      demoRunArgs({ repo, config, output: path.join(home, 'out-failing') }),
    );

    expect(run.code, run.stderr).toBe(1);
    const job = parseJob(run);
    expect(job.status).toBe('error');
    expect(job.errorClass).toBe('user');
    expect(job.message).toContain(statement);
    expect(job.message).toContain('no such column: no_such_column');
  });
});

function expectNear(actual: string | undefined, expected: number, what: string): void {
  const difference = Math.abs(Number(actual) - expected);
  expect(difference, `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(ROUNDING);
}

function stevedore(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin', 'stevedore.js'), ...args], {
      cwd: repo,
      env: { ...process.env, STEVEDORE_HOME: path.join(home, 'stevedore-home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function parseJob(run: Run): JobJson {
  try {
    return JSON.parse(run.stdout) as JobJson;
  } catch {
    throw new Error(`--json printed no job.\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** The input and the output are plain CSV: no quoted fields, a header row. */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split(/\r?\n/);
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((name, i) => [name, cells[i] ?? '']));
  });
}

function monthsOf(days: Record<string, string>[]): Map<string, Month> {
  const months = new Map<string, Month>();
  for (const day of days) {
    const key = day.date!.slice(0, 7);
    let month = months.get(key);
    if (!month) {
      month = { days: 0, tempMaxSum: 0, precipitation: 0, weather: {} };
      months.set(key, month);
    }
    month.days += 1;
    month.tempMaxSum += Number(day.temp_max);
    month.precipitation += Number(day.precipitation);
    month.weather[day.weather!] = (month.weather[day.weather!] ?? 0) + 1;
  }
  return months;
}
