import { describe, expect, it } from 'vitest';
import type { EnginePhase } from '../../src/engine/errors.js';

import { classify } from '../../src/failures/classify.js';
import { DEFAULT_RULE_SPECS } from '../../src/failures/default-rules.js';
import { DEFAULT_RULES } from '../../src/failures/rules.js';
import {
  compileRule,
  ruleSpecSchema,
  rulesFromFile,
  type RuleSpec,
} from '../../src/failures/spec.js';
import { engineFailed, exited } from '../support/facts.js';

function rule(when: RuleSpec['when'], more: Partial<RuleSpec> = {}): RuleSpec {
  return { name: 'own', description: 'a rule of the tests', action: 'retry', when, ...more };
}

function fileError(rules: unknown[], placement = 'before'): string {
  try {
    rulesFromFile({ placement, rules }, DEFAULT_RULES);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the rules were accepted');
}

describe('rule specs: checking', () => {
  it('accepts every default rule', () => {
    for (const spec of DEFAULT_RULE_SPECS) expect(ruleSpecSchema.parse(spec)).toBeTruthy();
  });

  const bad: [string, unknown, string][] = [
    ['a bad regular expression', rule({ message: '(open' }), 'rule 1 ("own"): when.message:'],
    ['unknown flags', rule({ message: { pattern: 'x', flags: 'g' } }), 'when.message: flags'],
    ['a bad range', rule({ exitCodes: ['125..127'] }), 'when.exitCodes.0: a range'],
    ['an unknown phase', rule({ phases: ['run'] as never }), 'when.phases.0:'],
    ['an unknown field', rule({ phase: ['start'] } as never), 'Unrecognized key: "phase"'],
    ['an unknown signal', rule({ signals: ['SIGFOO'] }), 'when.signals.0: not a known signal'],
    ['an unknown placeholder', rule({}, { tell: 'x {nope}' }), 'rule 1 ("own"): tell:'],
    ['a reserved name', rule({}, { name: 'terminated' }), 'name: "terminated" is reserved'],
    ['ignore beyond cleanup', rule({ phases: ['start'] }, { action: 'ignore' }), 'when: an'],
    ['no action', { name: 'own', description: 'x' }, 'rule 1 ("own"): action:'],
  ];
  for (const [what, spec, expected] of bad) {
    it(`names the rule and the field for ${what}`, () => {
      expect(fileError([spec])).toContain(expected);
    });
  }

  it('names the rule by its place in the file when it has no name', () => {
    expect(fileError([rule({}), { action: 'retry' }])).toMatch(/^rule 2: name:/);
  });

  it('refuses a name the defaults already use when placed before them', () => {
    expect(fileError([rule({}, { name: 'devicemapper' })])).toContain('already taken');
    expect(() =>
      rulesFromFile(
        { placement: 'instead', rules: [rule({}, { name: 'unknown' })] },
        DEFAULT_RULES,
      ),
    ).not.toThrow();
  });

  it('refuses a file without placement', () => {
    expect(() => rulesFromFile({ rules: [] }, DEFAULT_RULES)).toThrow(/placement/);
  });
});

describe('rule specs: matching', () => {
  it('matches exit codes by value and by range', () => {
    const own = compileRule(rule({ exitCodes: [3, '10-12'] }));

    expect([2, 3, 10, 11, 12, 13].map((exitCode) => own.matches(exited({ exitCode })))).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('matches the signal that ended the container (exit code 128 + signal)', () => {
    const own = compileRule(rule({ signals: ['SIGSEGV'] }));

    expect(own.matches(exited({ exitCode: 139 }))).toBe(true);
    expect(own.matches(exited({ exitCode: 137 }))).toBe(false);
  });

  it('matches an engine HTTP status and phase together', () => {
    const own = compileRule(rule({ phases: ['start'], httpStatuses: ['500-599'] }));

    expect(own.matches(engineFailed('x', 'start'))).toBe(true);
    expect(own.matches(engineFailed('x', 'create'))).toBe(false);
    expect(own.matches(engineFailed('x', 'start', { httpStatus: 409 }))).toBe(false);
  });

  it('matches any one of a list of conditions', () => {
    const own = compileRule(rule([{ oomKilled: true }, { message: 'quota' }]));

    expect(own.matches(exited({ oomKilled: true }))).toBe(true);
    expect(own.matches(engineFailed('disk quota exceeded', 'create'))).toBe(true);
    expect(own.matches(engineFailed('other', 'create'))).toBe(false);
  });

  it("reads a component's output with the message pattern when the container ended", () => {
    const own = compileRule(rule({ kind: 'exit', message: 'rate limit' }));

    expect(own.matches(exited({ exitCode: 3, stdoutTail: 'API rate limit reached' }))).toBe(true);
  });

  it('fills a template from the facts', () => {
    const own = compileRule(rule({}, { tell: '{phase} said {engineMessage} ({exitCode})' }));

    expect(own.message(engineFailed('boom', 'start', { exitCode: 125 }))).toBe(
      'start said boom (125)',
    );
  });
});

describe('default rules: kinds of failure, in words other than the reports', () => {
  const variants: [string, EnginePhase, string, string][] = [
    ['Bind for 0.0.0.0:8080 failed: port is already allocated', 'start', 'retry', 'port-in-use'],
    [
      'fork/exec /usr/bin/runc: resource temporarily unavailable',
      'start',
      'retry',
      'host-out-of-processes',
    ],
    ['write /var/lib/docker/tmp/x: no space left on device', 'pull', 'retry', 'host-out-of-space'],
    [
      'Get "https://r.example.com/v2/": dial tcp 10.0.0.1:443: i/o timeout',
      'pull',
      'retry',
      'pull-network-fault',
    ],
    ['pull access denied for acme/x, repository does not exist', 'pull', 'user', 'image-missing'],
    [
      'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
      'pull',
      'user',
      'image-missing',
    ],
    [
      'Get "https://gcr.io/v2/": dial tcp: lookup gcr.io: Temporary failure in name resolution',
      'pull',
      'retry',
      'pull-network-fault',
    ],
    [
      'Conflict. The container name "/job-1" is already in use by container "ab"',
      'create',
      'retry',
      'name-conflict',
    ],
    ['No such container: 0123abcd', 'inspect', 'retry', 'container-vanished'],
    [
      'rpc error: code = DeadlineExceeded desc = context deadline exceeded',
      'create',
      'retry',
      'engine-deadline',
    ],
    ['remove /var/lib/docker/overlay2/x: directory not empty', 'remove', 'ignore', 'cleanup'],
    [
      'standard_init_linux.go:228: exec user process caused: exec format error',
      'start',
      'user',
      'exec-format-error',
    ],
  ];
  for (const [message, phase, action, name] of variants) {
    it(`${action}: ${message}`, () => {
      expect(classify(engineFailed(message, phase))).toMatchObject({ action, rule: name });
    });
  }

  it('decides nothing on the client exit codes 125-127 or an HTTP 400 alone', () => {
    for (const exitCode of [125, 126, 127]) {
      const facts = engineFailed('a failure no one has seen', 'create', {
        exitCode,
        httpStatus: 400,
      });
      expect(classify(facts).rule).toBe('unknown');
    }
  });
});
