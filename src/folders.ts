// Making folders on paths people give, safely.

import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Makes a folder and its missing parents, level by level, and answers the folders it made,
 * outermost first. Node's recursive mkdir never returns on some virtual file systems (/proc),
 * so it is not used on paths people give.
 */
export function makeFolders(dir: string): string[] {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    at = path.dirname(at);
  }
  if (!statSync(at).isDirectory()) throw new Error(`${at} is not a folder`);

  for (const folder of missing) mkdirSync(folder);
  return missing;
}
