// The rule model: an ordered list of named rules decides what an attempt's end means, and the
// first rule that matches decides. Rules are written as data (spec.ts); the defaults live in
// default-rules.ts, the only place where the engine's words are matched.

import { DEFAULT_RULE_SPECS } from './default-rules.js';
import type { Action, AttemptFacts } from './facts.js';
import { compileRules, type RuleSpec } from './spec.js';

export interface Rule {
  name: string;
  action: Action;
  /** Says why the rule exists; printed by `stevedore rules list`. */
  description: string;
  /** The data the rule was made from, when it was made from data. */
  spec?: RuleSpec;
  matches(facts: AttemptFacts): boolean;
  /** What the user is told when this rule decides. */
  message(facts: AttemptFacts): string;
}

export const DEFAULT_RULES: readonly Rule[] = compileRules(DEFAULT_RULE_SPECS);
