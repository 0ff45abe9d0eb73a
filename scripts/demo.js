// `npm run demo`: runs the SQL example on Seattle's weather through `stevedore run`,
// then shows where the monthly table landed, its first rows, and how the job went.
// The component's live output passes through on stderr while it runs.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoConfig, demoRunArgs } from './demo-config.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.join(repo, 'stevedore-out', 'demo');
const SHOWN_ROWS = 12;

process.exitCode = await main();

async function main() {
  // The folder is the demo's own: a previous run's tables must not pass for this one's.
  rmSync(output, { recursive: true, force: true });

  const args = demoRunArgs({ repo, config: demoConfig, output });
  const { code, stdout } = await runStevedore(args);
  const job = parseJob(stdout);
  if (!job) {
    console.error(`stevedore exited with ${code} and printed no job as JSON:\n${stdout}`);
    return code || 1;
  }

  printJob(job);
  if (code !== 0 || job.status !== 'success') {
    console.error(`\nthe demo job failed (${job.errorClass ?? 'no'} error): ${job.message ?? ''}`);
    return code || 1;
  }

  const file = path.join(job.outputDir ?? output, 'tables', 'monthly.csv');
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  console.log(`\noutput: ${path.relative(process.cwd(), file) || file} (${rows.length} rows)`);
  console.log(`first ${Math.min(SHOWN_ROWS, rows.length)} rows:\n`);
  console.log(formatTable(header ?? [], rows.slice(0, SHOWN_ROWS)));
  return 0;
}

function runStevedore(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin', 'stevedore.js'), ...args], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout }));
  });
}

/** `--json` prints the final job as one JSON object; null when there is none. */
function parseJob(stdout) {
  const start = stdout.indexOf('{');
  if (start < 0) return null;
  try {
    return JSON.parse(stdout.slice(start));
  } catch {
    return null;
  }
}

function printJob(job) {
  const attempts = job.attempts ?? [];
  console.log(`\njob ${job.id}: ${job.status}, ${attempts.length} attempt(s)`);
  for (const a of attempts) {
    const details = [`exit ${a.exitCode ?? '-'}`, a.signature && `rule ${a.signature}`];
    if (a.startedAt && a.finishedAt) {
      const seconds = (Date.parse(a.finishedAt) - Date.parse(a.startedAt)) / 1000;
      details.push(`${seconds.toFixed(2)} s`);
    }
    const outcome = a.outcome ?? 'unfinished';
    console.log(`  attempt ${a.number}: ${outcome} (${details.filter(Boolean).join(', ')})`);
  }
}

/** Enough CSV for the component's output: quoted fields, doubled quotes, \n rows. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',' || c === '\n') {
      row.push(field);
      field = '';
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else if (c !== '\r') {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

function formatTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => r[i] === '' || !isNaN(Number(r[i]))));
  const line = (cells) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
