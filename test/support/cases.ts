// The real-world engine failures collected in test/fixtures/engine-errors.jsonl: errors people
// who run containers in production reported from the Docker engine, its client or a runner
// built on it. A copy of the project's shared case file, kept here so that a clone tests alone.

import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface EngineCase {
  id: string;
  /** pull, create, start, wait, remove, or cli / logs for the docker client's own reports. */
  phase: string;
  exit_code: number | null;
  http_status: number | null;
  message: string;
  /** retry null: the reports disagree, any bounded behaviour is acceptable. */
  expect: { retry: boolean | null; outcome: string };
  note: string;
}

const CASES_FILE = path.resolve(import.meta.dirname, '../fixtures/engine-errors.jsonl');

export function readCases(): EngineCase[] {
  return readFileSync(CASES_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as EngineCase);
}
