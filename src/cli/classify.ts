// `stevedore classify`: what stevedore would do with a failure described on the command line,
// and which rule would decide. For operators writing rules, and for checking a report.

import { Command, Option } from 'commander';
import { classify } from '../failures/classify.js';
import type { AttemptFacts } from '../failures/facts.js';
import { PHASES } from '../failures/spec.js';
import { parseWholeNumber, UsageError } from './options.js';
import { loadRules, RULES_OPTION_HELP } from './rules.js';

export interface ClassifyCommandDeps {
  stdout: NodeJS.WritableStream;
}

interface ClassifyOptions {
  phase: (typeof PHASES)[number];
  exitCode?: string;
  httpStatus?: string;
  oom?: boolean;
  timeout?: boolean;
  message: string;
  json?: boolean;
  rules?: string;
}

/** The limits a component ended with, as `run` sets them by default; messages name them. */
const DEFAULT_MEMORY_BYTES = 256 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 3_600_000;

export function classifyCommand(deps: ClassifyCommandDeps): Command {
  return new Command('classify')
    .description(
      'print what stevedore would do with a failure and which rule decides. With --phase wait ' +
        'and --exit-code, --oom or --timeout, the container ended (the message is its output); ' +
        'otherwise an engine call of that phase failed with the message',
    )
    .addOption(
      new Option('--phase <phase>', 'the step that failed').choices(PHASES).makeOptionMandatory(),
    )
    .option('--exit-code <n>', "the container's exit code, or the docker client's")
    .option('--http-status <status>', "the engine's HTTP status")
    .option('--oom', 'the engine says the kernel killed the container for memory')
    .option('--timeout', 'stevedore stopped the container at its timeout')
    .requiredOption('--message <text>', "the engine's message (or the component's output)")
    .option('--rules <file>', RULES_OPTION_HELP)
    .option('--json', 'print one JSON object: action, rule, message')
    .action((options: ClassifyOptions) => {
      const rules = loadRules(options.rules);
      const decision = classify(factsOf(options), rules);

      const text = options.json
        ? JSON.stringify({
            action: decision.action,
            rule: decision.rule,
            message: decision.message,
          })
        : `${decision.action} (rule ${decision.rule}): ${decision.message}`;
      deps.stdout.write(`${text}\n`);
    });
}

function factsOf(options: ClassifyOptions): AttemptFacts {
  const exitCode =
    options.exitCode === undefined
      ? null
      : parseWholeNumber('--exit-code', options.exitCode, 0, 255);
  const httpStatus =
    options.httpStatus === undefined
      ? null
      : parseWholeNumber('--http-status', options.httpStatus, 100, 599);
  const ended = options.oom || options.timeout || exitCode !== null;

  if (options.phase === 'wait' && ended) {
    return {
      kind: 'exit',
      exitCode: exitCode ?? (options.oom ? 137 : 143),
      oomKilled: options.oom ?? false,
      timedOut: options.timeout ?? false,
      stderrTail: options.message,
      stdoutTail: '',
      memoryBytes: DEFAULT_MEMORY_BYTES,
      timeoutMs: DEFAULT_TIMEOUT_MS,
    };
  }
  if (options.oom || options.timeout) {
    throw new UsageError('--oom and --timeout describe a container that ended: use --phase wait');
  }

  return {
    kind: 'engine',
    phase: options.phase,
    errorKind: 'other',
    httpStatus,
    exitCode,
    engineMessage: options.message,
  };
}
