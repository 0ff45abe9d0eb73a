import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  UsageError,
  parseConfig,
  parseDelayRange,
  parseDuration,
  parsePair,
  parseSize,
  parseWholeNumber,
  requirePath,
} from '../../src/cli/options.js';

/** Answers the UsageError `run` throws; fails the test when it throws nothing or another error. */
function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, but nothing was thrown');
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'stevedore-options-'));
}

describe('parseSize', () => {
  const sizes: [string, number][] = [
    ['256m', 256 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['512k', 512 * 1024],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2G', 2 * 1024 ** 3],
    ['256mb', 256 * 1024 ** 2],
    ['1048576', 1048576],
    ['100b', 100],
  ];
  for (const [text, bytes] of sizes) {
    it(`reads ${text} as ${bytes} bytes`, () => {
      expect(parseSize('--memory', text)).toBe(bytes);
    });
  }

  for (const text of ['', 'lots', '256x', '-1m', '1.g', 'm256']) {
    it(`rejects "${text}" naming the flag and an example`, () => {
      const err = usageError(() => parseSize('--memory', text));

      expect(err.message).toContain('--memory');
      expect(err.message).toContain(`"${text}"`);
      expect(err.message).toContain('256m');
    });
  }
});

describe('parseDuration', () => {
  const durations: [string, number][] = [
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s', 3_723_000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
  ];
  for (const [text, ms] of durations) {
    it(`reads "${text}" as ${ms} ms`, () => {
      expect(parseDuration('--timeout', text)).toBe(ms);
    });
  }

  for (const text of ['', '10', '5x', '1h junk', 'junk 1h', '1 h', 's']) {
    it(`rejects "${text}" naming the flag and an example`, () => {
      const err = usageError(() => parseDuration('--timeout', text));

      expect(err.message).toContain('--timeout');
      expect(err.message).toContain('30s');
    });
  }
});

describe('parseDelayRange', () => {
  it('reads MIN..MAX', () => {
    expect(parseDelayRange('--retry-delay', '1s..4s')).toEqual({ minMs: 1000, maxMs: 4000 });
  });

  it('reads one duration as a fixed delay', () => {
    expect(parseDelayRange('--retry-delay', '2s')).toEqual({ minMs: 2000, maxMs: 2000 });
  });

  it('accepts mixed units', () => {
    expect(parseDelayRange('--retry-delay', '500ms..1m')).toEqual({ minMs: 500, maxMs: 60_000 });
  });

  it('rejects a range whose longest delay is shorter than its shortest', () => {
    const err = usageError(() => parseDelayRange('--retry-delay', '4s..1s'));

    expect(err.message).toContain('--retry-delay');
    expect(err.message).toContain('4s');
    expect(err.message).toContain('1s');
  });

  it('rejects three parts', () => {
    const err = usageError(() => parseDelayRange('--retry-delay', '1s..2s..3s'));

    expect(err.message).toContain('1s..4s');
  });

  for (const text of ['..4s', '1s..', '1s..soon']) {
    it(`rejects "${text}" as a range with a part that is not a duration`, () => {
      expect(usageError(() => parseDelayRange('--retry-delay', text)).message).toContain(
        '--retry-delay',
      );
    });
  }
});

describe('parseWholeNumber', () => {
  it('reads a whole number within the bounds, the bounds included', () => {
    expect(parseWholeNumber('--max-attempts', '1', 1, 100)).toBe(1);
    expect(parseWholeNumber('--max-attempts', '5', 1, 100)).toBe(5);
    expect(parseWholeNumber('--max-attempts', '100', 1, 100)).toBe(100);
  });

  for (const text of ['0', '101', '-1', '2.5', '1e2', 'five', '', '0x10']) {
    it(`rejects "${text}" naming the flag and the bounds`, () => {
      const err = usageError(() => parseWholeNumber('--max-attempts', text, 1, 100));

      expect(err.message).toContain('--max-attempts');
      expect(err.message).toContain('from 1 to 100');
    });
  }
});

describe('parsePair', () => {
  const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

  it('splits KEY=VALUE at the first equals sign', () => {
    expect(parsePair('--env', 'DSN=host=db;port=5432', KEY, 'KEY')).toEqual({
      key: 'DSN',
      value: 'host=db;port=5432',
    });
  });

  it('keeps an empty value', () => {
    expect(parsePair('--env', 'EMPTY=', KEY, 'KEY')).toEqual({ key: 'EMPTY', value: '' });
  });

  for (const text of ['NOVALUE', '=value', '1ABC=x', 'MY-KEY=x']) {
    it(`rejects "${text}" naming the flag and the key pattern`, () => {
      const err = usageError(() => parsePair('--env', text, KEY, 'KEY'));

      expect(err.message).toContain('--env');
      expect(err.message).toContain('KEY=VALUE');
      expect(err.message).toContain(KEY.source);
    });
  }
});

describe('parseConfig', () => {
  it('reads inline JSON', () => {
    const config = parseConfig('--config', '{"parameters": {"limit": 10}, "action": "run"}');

    expect(config).toEqual({ parameters: { limit: 10 }, action: 'run' });
  });

  it('reads a JSON file when the text is a path', () => {
    const file = path.join(tempDir(), 'config.json');
    writeFileSync(file, JSON.stringify({ parameters: { table: 'in.c-main.cars' } }));

    expect(parseConfig('--config', file)).toEqual({ parameters: { table: 'in.c-main.cars' } });
  });

  it('keeps top-level keys it does not know', () => {
    const config = parseConfig('--config', '{"parameters": {}, "authorization": {"x": 1}}');

    expect(config).toEqual({ parameters: {}, authorization: { x: 1 } });
  });

  it('names the file and says it is not valid JSON', () => {
    const file = path.join(tempDir(), 'broken.json');
    writeFileSync(file, '{"parameters": ');
    const err = usageError(() => parseConfig('--config', file));

    expect(err.message).toContain('--config');
    expect(err.message).toContain(file);
    expect(err.message).toContain('not valid JSON');
  });

  it('says inline text is not valid JSON', () => {
    const err = usageError(() => parseConfig('--config', '{parameters: 1}'));

    expect(err.message).toContain('inline config');
    expect(err.message).toContain('not valid JSON');
  });

  it('names a file it cannot read', () => {
    const file = path.join(tempDir(), 'absent.json');
    const err = usageError(() => parseConfig('--config', file));

    expect(err.message).toContain('cannot read');
    expect(err.message).toContain(file);
  });

  it('rejects a file holding an array instead of an object', () => {
    const file = path.join(tempDir(), 'list.json');
    writeFileSync(file, '[{"parameters": {}}]');
    const err = usageError(() => parseConfig('--config', file));

    expect(err.message).toContain(file);
    expect(err.message).toContain('not a valid config');
  });

  for (const parameters of ['3', '[1, 2]', '"text"', 'null']) {
    it(`rejects parameters given as ${parameters}, naming "parameters"`, () => {
      const err = usageError(() => parseConfig('--config', `{"parameters": ${parameters}}`));

      expect(err.message).toContain('not a valid config');
      expect(err.message).toContain('"parameters"');
    });
  }

  it('rejects an action that is not text, naming "action"', () => {
    const err = usageError(() => parseConfig('--config', '{"action": 1}'));

    expect(err.message).toContain('"action"');
  });
});

describe('requirePath', () => {
  it('accepts a file, a directory and either kind for "any"', () => {
    const dir = tempDir();
    const file = path.join(dir, 'cars.csv');
    writeFileSync(file, 'name\n');

    expect(() => requirePath('--input-table', file, 'file')).not.toThrow();
    expect(() => requirePath('--data-dir', dir, 'directory')).not.toThrow();
    expect(() => requirePath('--input-file', file, 'any')).not.toThrow();
    expect(() => requirePath('--input-file', dir, 'any')).not.toThrow();
  });

  it('names a path that does not exist', () => {
    const missing = path.join(tempDir(), 'nothing-here.csv');
    const err = usageError(() => requirePath('--input-table', missing, 'file'));

    expect(err.message).toBe(`--input-table: ${missing} does not exist`);
  });

  it('rejects a directory where a file is wanted', () => {
    const dir = tempDir();
    const err = usageError(() => requirePath('--input-table', dir, 'file'));

    expect(err.message).toContain('is not a file');
  });

  it('rejects a file where a directory is wanted', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'data'));
    const file = path.join(dir, 'data.txt');
    writeFileSync(file, '');
    const err = usageError(() => requirePath('--data-dir', file, 'directory'));

    expect(err.message).toContain('is not a directory');
  });
});
