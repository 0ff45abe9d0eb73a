// Rules as data: the shape an operator writes (and the default rules are written in), its
// checking, and its compilation into the `Rule` that `classify` applies.

import { z } from 'zod';
import { formatBytes, formatDuration } from '../units.js';
import type { AttemptFacts, EngineFailureFacts, ExitFacts } from './facts.js';
import type { Rule } from './rules.js';

export const PHASES = ['pull', 'create', 'start', 'wait', 'inspect', 'stop', 'remove'] as const;
export const ACTIONS = ['success', 'retry', 'user', 'application', 'ignore'] as const;
const ENGINE_ERROR_KINDS = ['unavailable', 'image-missing', 'not-found', 'conflict', 'other'];

/** Signal numbers, for a container whose exit code is 128 + the signal that ended it. */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/**
 * The wordings that need more than a template: `engine-failure` (the default for an engine
 * failure), `component-output` (the component's own words, as exit 1 needs) and
 * `component-failure` (the exit code and the component's words; the default for an exit).
 */
export const WORDINGS = ['engine-failure', 'component-output', 'component-failure'] as const;
const PLACEHOLDERS = ['phase', 'engineMessage', 'exitCode', 'memoryLimit', 'timeout', 'output'];

/** A number, or a range written "125-127". */
const codeSchema = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d+-\d+$/, 'a range is written like "125-127"'),
]);

const messageSchema = z
  .union([z.string(), z.strictObject({ pattern: z.string(), flags: z.string().optional() })])
  .check((ctx) => {
    const { pattern, flags } = messagePattern(ctx.value);
    if (!/^[imsu]*$/.test(flags)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `flags "${flags}" may hold only i, m, s and u`,
      });
      return;
    }
    try {
      new RegExp(pattern, flags);
    } catch (err) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: (err as Error).message });
    }
  });

const conditionSchema = z.strictObject({
  /** `exit`: the container ran and ended; `engine`: an engine call failed. */
  kind: z.enum(['exit', 'engine']).optional(),
  phases: z.array(z.enum(PHASES)).min(1).optional(),
  exitCodes: z.array(codeSchema).min(1).optional(),
  oomKilled: z.boolean().optional(),
  timedOut: z.boolean().optional(),
  signals: z
    .array(z.string().refine((name) => name in SIGNALS, { message: 'not a known signal' }))
    .min(1)
    .optional(),
  httpStatuses: z.array(codeSchema).min(1).optional(),
  engineErrorKinds: z.array(z.enum(ENGINE_ERROR_KINDS)).min(1).optional(),
  /** A regular expression over the engine's message (or, for an exit, the output's tail). */
  message: messageSchema.optional(),
});

const tellSchema = z
  .string()
  .refine(
    (text) =>
      (WORDINGS as readonly string[]).includes(text) ||
      [...text.matchAll(/\{(\w*)\}/g)].every((m) => PLACEHOLDERS.includes(m[1] ?? '')),
    { message: `is neither a wording (${WORDINGS.join(', ')}) nor a template of known {names}` },
  );

export const ruleSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')
      .refine((name) => name !== 'terminated', { message: '"terminated" is reserved' }),
    description: z.string().min(1),
    action: z.enum(ACTIONS),
    /** All the conditions of one object must hold; any object of a list may. */
    when: z.union([conditionSchema, z.array(conditionSchema).min(1)]).optional(),
    /** What the user is told: a wording's name, or a template with {placeholders}. */
    tell: tellSchema.optional(),
  })
  .check((ctx) => {
    // Only a cleanup failure may be ignored: anything else would hide a job's real end.
    const conditions = [ctx.value.when ?? {}].flat();
    const cleanupOnly = conditions.every(
      (c) => c.phases !== undefined && c.phases.every((p) => p === 'remove'),
    );
    if (ctx.value.action === 'ignore' && !cleanupOnly) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['when'],
        message: 'an "ignore" rule must match only phases: ["remove"] (cleanup failures)',
      });
    }
  });

export type RuleSpec = z.input<typeof ruleSpecSchema>;
export type RuleCondition = z.input<typeof conditionSchema>;

export const ruleFileSchema = z.strictObject({
  /** `before`: these rules are tried first, then the defaults; `instead`: only these. */
  placement: z.enum(['before', 'instead']),
  rules: z.array(ruleSpecSchema),
});

/** A rule that cannot be used; the message names the rule and the field. */
export class RuleSpecError extends Error {
  override readonly name = 'RuleSpecError';
}

/** Checks an operator's rule file and answers the rules in force: theirs and the defaults. */
export function rulesFromFile(value: unknown, defaults: readonly Rule[]): Rule[] {
  const checked = ruleFileSchema.safeParse(value);
  if (!checked.success) throw new RuleSpecError(describeIssue(checked.error, value));

  const own = compileRules(checked.data.rules);
  const before = checked.data.placement === 'before';
  const taken = new Set(before ? defaults.map((rule) => rule.name) : []);
  for (const [index, rule] of own.entries()) {
    if (taken.has(rule.name)) {
      throw new RuleSpecError(`rule ${index + 1} ("${rule.name}"): name: is already taken`);
    }
    taken.add(rule.name);
  }
  return before ? [...own, ...defaults] : own;
}

export function compileRules(specs: readonly RuleSpec[]): Rule[] {
  return specs.map(compileRule);
}

export function compileRule(spec: RuleSpec): Rule {
  const conditions = [spec.when ?? {}].flat().map(compileCondition);

  return {
    name: spec.name,
    action: spec.action,
    description: spec.description,
    spec,
    matches: (facts) => conditions.some((matches) => matches(facts)),
    message: (facts) => tell(spec.tell, facts),
  };
}

function compileCondition(when: RuleCondition): (facts: AttemptFacts) => boolean {
  const pattern = when.message === undefined ? null : messagePattern(when.message);
  const regex = pattern && new RegExp(pattern.pattern, pattern.flags);

  return (facts) => {
    const engine = facts.kind === 'engine' ? facts : null;
    const exit = facts.kind === 'exit' ? facts : null;
    const exitCode = exit?.exitCode ?? engine?.exitCode ?? null;

    return (
      (when.kind === undefined || when.kind === facts.kind) &&
      (when.phases === undefined || (!!engine && when.phases.includes(engine.phase))) &&
      (when.exitCodes === undefined || inCodes(when.exitCodes, exitCode)) &&
      (when.oomKilled === undefined || when.oomKilled === (exit?.oomKilled ?? false)) &&
      (when.timedOut === undefined || when.timedOut === (exit?.timedOut ?? false)) &&
      (when.signals === undefined || endedBySignal(when.signals, exit)) &&
      (when.httpStatuses === undefined || inCodes(when.httpStatuses, engine?.httpStatus)) &&
      (when.engineErrorKinds === undefined ||
        (!!engine && when.engineErrorKinds.includes(engine.errorKind))) &&
      (regex === null || regex.test(engine ? engine.engineMessage : outputOf(facts as ExitFacts)))
    );
  };
}

function messagePattern(message: string | { pattern: string; flags?: string | undefined }) {
  // A bare string is matched regardless of case: engines and versions spell words differently.
  return typeof message === 'string'
    ? { pattern: message, flags: 'i' }
    : { pattern: message.pattern, flags: message.flags ?? '' };
}

function inCodes(codes: readonly (number | string)[], code: number | null | undefined): boolean {
  if (code === null || code === undefined) return false;

  return codes.some((entry) => {
    if (typeof entry === 'number') return entry === code;
    const [low = NaN, high = NaN] = entry.split('-').map(Number);
    return code >= low && code <= high;
  });
}

function endedBySignal(signals: readonly string[], exit: ExitFacts | null): boolean {
  if (!exit || exit.exitCode <= 128) return false;
  return signals.some((name) => SIGNALS[name] === exit.exitCode - 128);
}

function outputOf(facts: ExitFacts): string {
  return `${facts.stderrTail}\n${facts.stdoutTail}`;
}

/** What the user is told when no rule has its own words: the engine's or the component's. */
export function defaultMessage(facts: AttemptFacts): string {
  return tell(undefined, facts);
}

/** What the user is told, by the rule's wording or template. */
function tell(wording: string | undefined, facts: AttemptFacts): string {
  const chosen = wording ?? (facts.kind === 'engine' ? 'engine-failure' : 'component-failure');

  if (chosen === 'engine-failure') {
    return facts.kind === 'engine'
      ? `the container engine failed (${facts.phase}): ${facts.engineMessage}`
      : tell('component-failure', facts);
  }
  if (chosen === 'component-output' || chosen === 'component-failure') {
    if (facts.kind === 'engine') return tell('engine-failure', facts);
    const own = componentMessage(facts);
    if (chosen === 'component-output' && own) return own;
    if (chosen === 'component-output') {
      return `the component exited with code ${facts.exitCode} and printed nothing`;
    }
    return (
      `the component failed with exit code ${facts.exitCode}` +
      (own ? `: ${own}` : ' and printed nothing')
    );
  }

  return chosen.replace(/\{(\w+)\}/g, (_, name: string) => placeholder(name, facts));
}

function placeholder(name: string, facts: AttemptFacts): string {
  const engine: EngineFailureFacts | null = facts.kind === 'engine' ? facts : null;
  const exit: ExitFacts | null = facts.kind === 'exit' ? facts : null;

  switch (name) {
    case 'phase':
      return engine?.phase ?? 'wait';
    case 'engineMessage':
      return engine?.engineMessage ?? '';
    case 'exitCode':
      return String(exit?.exitCode ?? engine?.exitCode ?? '');
    case 'memoryLimit':
      return exit ? formatBytes(exit.memoryBytes) : '';
    case 'timeout':
      return exit ? formatDuration(exit.timeoutMs) : '';
    case 'output':
      return exit ? componentMessage(exit) : '';
    default:
      return '';
  }
}

/** The component's own words: stderr, or stdout when stderr is empty. */
function componentMessage(facts: ExitFacts): string {
  return facts.stderrTail.trim() || facts.stdoutTail.trim();
}

/** One line naming the rule (its number and name) and the field that is wrong. */
function describeIssue(error: z.ZodError, value: unknown): string {
  const issue = error.issues[0] && telling(error.issues[0]);
  if (!issue) return 'the rules are not valid';

  const [top, index, ...field] = issue.path;
  if (top !== 'rules' || typeof index !== 'number') {
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${where}${issue.message}`;
  }

  const rules = (value as { rules?: unknown[] }).rules;
  const name = (rules?.[index] as { name?: unknown } | undefined)?.name;
  const named = typeof name === 'string' ? ` ("${name}")` : '';
  const at = field.length > 0 ? field.join('.') : 'the rule';
  return `rule ${index + 1}${named}: ${at}: ${issue.message}`;
}

/**
 * A value that fits no shape of a union (`when` as one condition or a list) is reported by
 * the shape it came closest to: the issue that reaches deepest into the value.
 */
function telling(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;

  const candidates = issue.errors
    .flat()
    .map((inner) => telling(inner))
    .filter((inner) => inner.code !== 'invalid_type' || inner.path.length > 0);
  const deepest = candidates.sort((a, b) => b.path.length - a.path.length)[0];
  return deepest ? { ...deepest, path: [...issue.path, ...deepest.path] } : issue;
}
