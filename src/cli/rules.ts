// `stevedore rules list`: the rules in force, in the order they are tried. Also reads the
// operators' own rules (--rules FILE) for every command that classifies.

import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { DEFAULT_RULES, type Rule } from '../failures/rules.js';
import { RuleSpecError, rulesFromFile } from '../failures/spec.js';
import { formatTable, oneLine } from './format.js';
import { UsageError } from './options.js';

export interface RulesCommandDeps {
  stdout: NodeJS.WritableStream;
}

interface ListOptions {
  json?: boolean;
  rules?: string;
}

export const RULES_OPTION_HELP =
  'a JSON file of your own rules: {"placement": "before" | "instead", "rules": [...]}';

export function rulesCommand(deps: RulesCommandDeps): Command {
  const rules = new Command('rules').description('the rules that decide how attempts end');

  rules
    .command('list')
    .description('print the rules in force, in the order they are tried; the first match decides')
    .option('--rules <file>', RULES_OPTION_HELP)
    .option('--json', 'print the rules as a JSON array')
    .action((options: ListOptions) => {
      const inForce = loadRules(options.rules);
      deps.stdout.write(`${options.json ? rulesJson(inForce) : rulesTable(inForce)}\n`);
    });

  return rules;
}

/** The rules in force: the defaults, or a checked rule file placed before or instead of them. */
export function loadRules(file: string | undefined): readonly Rule[] {
  if (file === undefined) return DEFAULT_RULES;

  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--rules: cannot read ${file} as JSON: ${(err as Error).message}`);
  }

  try {
    return rulesFromFile(value, DEFAULT_RULES);
  } catch (err) {
    if (err instanceof RuleSpecError) throw new UsageError(`--rules: ${file}: ${err.message}`);
    throw err;
  }
}

function rulesJson(rules: readonly Rule[]): string {
  const json = rules.map((rule) => ({
    name: rule.name,
    action: rule.action,
    description: rule.description,
    when: rule.spec?.when ?? null,
    tell: rule.spec?.tell ?? null,
    default: DEFAULT_RULES.includes(rule),
  }));
  return JSON.stringify(json);
}

function rulesTable(rules: readonly Rule[]): string {
  const rows = rules.map((rule, index) => [
    String(index + 1),
    rule.name + (DEFAULT_RULES.includes(rule) ? '' : ' *'),
    rule.action,
    oneLine(rule.description),
  ]);
  const own = rules.some((rule) => !DEFAULT_RULES.includes(rule));
  const table = formatTable(['#', 'RULE', 'ACTION', 'WHY'], rows);
  return own ? `${table}\n\n* from --rules` : table;
}
