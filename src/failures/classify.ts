// Decides what an attempt's end means: the first matching rule wins.

import type { AttemptFacts, Decision } from './facts.js';
import { DEFAULT_RULES, type Rule } from './rules.js';
import { defaultMessage } from './spec.js';

export function classify(facts: AttemptFacts, rules: readonly Rule[] = DEFAULT_RULES): Decision {
  const rule = rules.find((candidate) => candidate.matches(facts));

  // The default list ends with catch-alls for both kinds of facts; a custom list may not.
  if (!rule) return { action: 'application', rule: 'unknown', message: defaultMessage(facts) };

  return { action: rule.action, rule: rule.name, message: rule.message(facts) };
}
