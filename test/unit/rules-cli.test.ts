import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { classifyCommand } from '../../src/cli/classify.js';
import { main } from '../../src/cli/main.js';
import { UsageError } from '../../src/cli/options.js';
import { rulesCommand } from '../../src/cli/rules.js';
import { DEFAULT_RULES } from '../../src/failures/rules.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stevedore-rules-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function call(make: typeof rulesCommand, args: string[]): Promise<string> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk) => (text += String(chunk)));
  const command = make({ stdout }).exitOverride();
  for (const sub of command.commands) sub.exitOverride();
  await command.parseAsync(args, { from: 'user' });
  return text;
}

async function rulesFile(value: unknown): Promise<string> {
  const file = join(dir, 'rules.json');
  await writeFile(file, JSON.stringify(value));
  return file;
}

const OWN_RULE = {
  name: 'flux-capacitor',
  description: 'Our engine build reports a flux capacitor out of sync now and then.',
  action: 'retry',
  when: { phases: ['start'], message: 'flux capacitor' },
};

describe('stevedore classify', () => {
  it('prints one JSON object with action, rule and message', async () => {
    const message = 'Error response from daemon: devicemapper: Error running deviceResume';
    const text = await call(classifyCommand, ['--phase', 'create', '--message', message, '--json']);

    expect(JSON.parse(text)).toEqual({
      action: 'retry',
      rule: 'devicemapper',
      message: `the container engine failed (create): ${message}`,
    });
  });

  it('answers ignore for a cleanup failure', async () => {
    const args = ['--phase', 'remove', '--message', 'device or resource busy', '--json'];

    expect(JSON.parse(await call(classifyCommand, args))).toMatchObject({ action: 'ignore' });
  });

  it('describes a container that ended with --phase wait and --exit-code', async () => {
    const args = ['--phase', 'wait', '--exit-code', '1', '--message', 'no such column', '--json'];

    expect(JSON.parse(await call(classifyCommand, args))).toEqual({
      action: 'user',
      rule: 'exit-1',
      message: 'no such column',
    });
  });

  it('names the memory limit for --oom', async () => {
    const text = await call(classifyCommand, ['--phase', 'wait', '--oom', '--message', '']);

    expect(text).toMatch(/^user \(rule oom-killed\): .*256 MiB/);
  });

  it('does not decide on the client exit code 125 alone', async () => {
    const args = ['--phase', 'create', '--exit-code', '125', '--message', 'something new'];

    expect(await call(classifyCommand, args)).toMatch(/^application \(rule unknown\)/);
  });

  it('refuses --oom for an engine call that failed', async () => {
    const args = ['--phase', 'create', '--oom', '--message', 'x'];

    await expect(call(classifyCommand, args)).rejects.toThrow(UsageError);
  });

  it('tries the rules of --rules FILE before the defaults', async () => {
    const file = await rulesFile({ placement: 'before', rules: [OWN_RULE] });
    const args = ['--phase', 'start', '--message', 'Flux capacitor: out of sync', '--rules', file];

    expect(await call(classifyCommand, args)).toMatch(/^retry \(rule flux-capacitor\)/);
  });
});

describe('stevedore rules list', () => {
  it('prints every default rule in order', async () => {
    const text = await call(rulesCommand, ['list', '--json']);
    const names = (JSON.parse(text) as { name: string }[]).map((rule) => rule.name);

    expect(names).toEqual(DEFAULT_RULES.map((rule) => rule.name));
  });

  it('prints only the file rules with placement "instead"', async () => {
    const file = await rulesFile({ placement: 'instead', rules: [OWN_RULE] });
    const text = await call(rulesCommand, ['list', '--rules', file]);

    expect(text).toContain('flux-capacitor *');
    expect(text).not.toContain('devicemapper');
  });

  it('exits 64 naming the rule and the field of a bad rule', async () => {
    const bad = { ...OWN_RULE, when: { message: '(unclosed' } };
    const file = await rulesFile({ placement: 'before', rules: [OWN_RULE, { ...bad, name: 'b' }] });
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });

    const code = await main(['rules', 'list', '--rules', file], { STEVEDORE_HOME: dir });

    expect(code).toBe(64);
    expect(stderr).toContain('rule 2 ("b"): when.message');
  });
});
