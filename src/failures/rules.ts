// The rules that decide what an attempt's end means. The first rule that matches decides.
// Engine failures are matched on the kind of fault, not on one report's exact words:
// the engine's text is often all there is, so the patterns live here and nowhere else.

import type { EnginePhase } from '../engine/errors.js';
import type { Action, AttemptFacts, EngineFailureFacts, ExitFacts } from './facts.js';
import { formatBytes, formatDuration } from '../units.js';

const CONNECTION_LOST = new RegExp(
  [
    'ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|connection reset|broken pipe',
    'Cannot connect to the Docker daemon|connect ENOENT \\S*\\.sock',
  ].join('|'),
  'i',
);

export interface Rule {
  name: string;
  action: Action;
  /** Says why the rule exists; printed by `stevedore rules list`. */
  description: string;
  matches(facts: AttemptFacts): boolean;
  /** What the user is told when this rule decides. */
  message(facts: AttemptFacts): string;
}

function exitRule(
  name: string,
  action: Action,
  description: string,
  matches: (facts: ExitFacts) => boolean,
  message: (facts: ExitFacts) => string,
): Rule {
  return {
    name,
    action,
    description,
    matches: (facts) => facts.kind === 'exit' && matches(facts),
    message: (facts) => (facts.kind === 'exit' ? message(facts) : ''),
  };
}

function engineRule(
  name: string,
  action: Action,
  description: string,
  match: { phases?: EnginePhase[]; pattern?: RegExp; kind?: (f: EngineFailureFacts) => boolean },
  /** What the user is told; by default, that the engine failed, with its message. */
  tell: (facts: EngineFailureFacts) => string = engineMessage,
): Rule {
  return {
    name,
    action,
    description,
    matches: (facts) =>
      facts.kind === 'engine' &&
      (!match.phases || match.phases.includes(facts.phase)) &&
      (!match.pattern || match.pattern.test(facts.engineMessage)) &&
      (!match.kind || match.kind(facts)),
    message: (facts) => (facts.kind === 'engine' ? tell(facts) : ''),
  };
}

function engineMessage(facts: EngineFailureFacts): string {
  return `the container engine failed (${facts.phase}): ${facts.engineMessage}`;
}

/** The component's own words: stderr, or stdout when stderr is empty. */
function componentMessage(facts: ExitFacts): string {
  return facts.stderrTail.trim() || facts.stdoutTail.trim();
}

export const DEFAULT_RULES: readonly Rule[] = [
  exitRule(
    'timeout',
    'user',
    'The component ran past its timeout and was stopped.',
    (facts) => facts.timedOut,
    (facts) =>
      `the component ran longer than its timeout of ${formatDuration(facts.timeoutMs)} and ` +
      'was stopped; raise --timeout or make it finish sooner',
  ),
  exitRule(
    'oom-killed',
    'user',
    'The kernel killed the container for going over its memory limit (the engine says so).',
    (facts) => facts.oomKilled,
    (facts) =>
      `the component used more than its memory limit of ${formatBytes(facts.memoryBytes)} ` +
      'and was killed; raise --memory or make it use less',
  ),
  exitRule(
    'exit-0',
    'success',
    'The component exited 0.',
    (facts) => facts.exitCode === 0,
    () => 'the component finished successfully',
  ),
  exitRule(
    'exit-1',
    'user',
    'Exit 1 is how a component reports bad input or configuration (Common Interface).',
    (facts) => facts.exitCode === 1,
    (facts) => componentMessage(facts) || 'the component exited with code 1 and printed nothing',
  ),
  exitRule(
    'exit-other',
    'application',
    'Any other exit code is a failure of the component itself.',
    () => true,
    (facts) =>
      `the component failed with exit code ${facts.exitCode}` +
      (componentMessage(facts) ? `: ${componentMessage(facts)}` : ' and printed nothing'),
  ),
  engineRule(
    'devicemapper',
    'retry',
    'The devicemapper storage driver failed for a moment (deviceResume, cookies, activation).',
    { pattern: /\b(devicemapper|devmapper|dm_task_\w+)\b/i },
  ),
  engineRule(
    'dev-mapper-missing',
    'retry',
    'A /dev/mapper device the engine had just made was not there yet (a udev race).',
    { pattern: /\/dev\/mapper\/\S*:? no such file or directory/i },
  ),
  engineRule(
    'engine-connection-lost',
    'retry',
    'The connection to the engine was refused, reset or closed mid-call.',
    {
      kind: (facts) =>
        facts.errorKind === 'unavailable' || CONNECTION_LOST.test(facts.engineMessage),
    },
    (facts) =>
      `the container engine could not be reached (${facts.phase}): ${facts.engineMessage}; ` +
      'is the engine running, and does DOCKER_HOST point at it?',
  ),
  engineRule(
    'image-missing',
    'user',
    'The image is not on the engine host and could not be pulled.',
    {
      phases: ['pull', 'create'],
      kind: (facts) =>
        facts.errorKind === 'image-missing' ||
        /no such image|pull access denied|repository does not exist/i.test(facts.engineMessage),
    },
    (facts) => `the image could not be had: ${facts.engineMessage}`,
  ),
  engineRule(
    'executable-not-found',
    'user',
    'The command given to the container does not exist in the image.',
    {
      phases: ['create', 'start'],
      pattern: /executable file not found|exec: "[^"]*": (stat \S+: )?no such file or directory/i,
    },
    (facts) => `the command could not be started in the container: ${facts.engineMessage}`,
  ),
  engineRule(
    'unknown',
    'application',
    'An engine failure no rule knows; kept visible so an operator can add a rule for it.',
    {},
  ),
];
