// Where stevedore keeps its state on this machine, and opening the store there.

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { openSqliteStore } from './sqlite.js';
import type { JobStore } from './types.js';

/** `$STEVEDORE_HOME`, or `~/.stevedore` when it is unset or empty. */
export function stevedoreHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['STEVEDORE_HOME'];
  if (fromEnv === undefined || fromEnv === '') {
    return join(homedir(), '.stevedore');
  }
  return resolve(fromEnv);
}

export async function openStore(home: string): Promise<JobStore> {
  return openSqliteStore(join(home, 'stevedore.db'));
}
