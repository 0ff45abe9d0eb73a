// The data folder of the Common Interface, built fresh for every attempt from the job's
// inputs, so that a failed attempt's partial output never reaches the next one.

import { constants } from 'node:fs';
import { access, chmod, cp, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobSpec } from './model.js';

const FOLDERS = ['in/tables', 'in/files', 'out/tables', 'out/files'];

/** Builds `root/data` from the job's inputs and answers its path. Removes what was there. */
export async function buildDataFolder(root: string, spec: JobSpec): Promise<string> {
  const data = path.join(root, 'data');
  await rm(root, { recursive: true, force: true });
  await mkdir(data, { recursive: true });

  if (spec.dataDir) {
    // Links the user gave are followed here, on the host: inside the container they would
    // point nowhere. An out/ that came with the folder is not this job's output.
    await cp(spec.dataDir, data, { recursive: true, dereference: true });
    await rm(path.join(data, 'out'), { recursive: true, force: true });
  }
  for (const folder of FOLDERS) await mkdir(path.join(data, folder), { recursive: true });

  const configFile = path.join(data, 'config.json');
  if (spec.config !== null || !(await exists(configFile))) {
    await writeFile(configFile, JSON.stringify(spec.config ?? {}, null, 2));
  }

  for (const [name, source] of Object.entries(spec.inputTables)) {
    await cp(source, path.join(data, 'in/tables', `${name}.csv`), { dereference: true });
    await writeFile(
      path.join(data, 'in/tables', `${name}.csv.manifest`),
      JSON.stringify({ id: name, name, source: path.basename(source) }, null, 2),
    );
  }

  for (const source of spec.inputFiles) {
    const target = path.join(data, 'in/files', path.basename(source));
    await cp(source, target, { recursive: true, dereference: true });
  }

  // Components often run as a user other than root: let them write their output.
  for (const folder of ['.', 'out', 'out/tables', 'out/files']) {
    await chmod(path.join(data, folder), 0o777);
  }

  return data;
}

/**
 * Copies the attempt's `out/` to the job's output folder: files and folders only. A symbolic
 * link could point at the host's own files, and a device or pipe is no output; each is left
 * behind and answered, so the runner can say so.
 */
export async function collectOutput(data: string, outputDir: string): Promise<string[]> {
  const skipped: string[] = [];
  const out = path.join(data, 'out');

  await mkdir(outputDir, { recursive: true });
  await cp(out, outputDir, {
    recursive: true,
    filter: async (source) => {
      const stats = await lstat(source);
      if (stats.isFile() || stats.isDirectory()) return true;
      skipped.push(path.relative(out, source));
      return false;
    },
  });

  // The attempt's folders were opened to every user for the component; the copy need not be.
  const folders = await readdir(outputDir, { recursive: true, withFileTypes: true });
  await chmod(outputDir, 0o755);
  for (const entry of folders) {
    if (entry.isDirectory()) await chmod(path.join(entry.parentPath, entry.name), 0o755);
  }
  return skipped;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
