// Which process runs a job: a small file in the job's work folder, so that `stevedore gc` can
// tell a job whose stevedore was killed from one that is still running.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

const OWNER_FILE = 'owner.json';

interface Owner {
  pid: number;
  host: string;
}

/** Records this process as the one running the job whose work folder this is. */
export async function writeOwner(jobWorkDir: string): Promise<void> {
  await mkdir(jobWorkDir, { recursive: true });
  const owner: Owner = { pid: process.pid, host: hostname() };
  await writeFile(path.join(jobWorkDir, OWNER_FILE), JSON.stringify(owner));
}

/**
 * True when a live process on this host runs the job. A folder without a readable owner, or
 * whose owner is gone, belongs to a run that ended without cleaning up.
 */
export async function ownerAlive(jobWorkDir: string): Promise<boolean> {
  let owner: Owner;
  try {
    owner = JSON.parse(await readFile(path.join(jobWorkDir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return false;
  }

  // Another host's process cannot be checked from here: count it as alive.
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
