// The oslo.policy rule language, the part operators use: `@` (always), `!` (never), "" (always),
// `role:NAME`, `rule:NAME`, `KEY:VALUE` / `KEY:%(target_key)s` (credential KEY equals a literal
// or the target's value), `and`, `or`, `not` and parentheses. Pure: parse once, evaluate often.

/** A parsed rule. */
export type RuleNode =
  | { kind: 'always' } | { kind: 'never' }
  | { kind: 'and' | 'or'; items: RuleNode[] }
  | { kind: 'not'; item: RuleNode }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; role: string }
  | { kind: 'field'; key: string; literal?: string; targetKey?: string };

/** What a rule is checked against: the caller's credentials and the target's attributes. */
export interface RuleInput {
  creds: Record<string, string | string[] | boolean | undefined>;
  target: Record<string, string | undefined>;
}

/** Splits on whitespace, then peels parentheses off each word's ends (as oslo.policy does), so %(x)s survives. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const open = /^\(*/.exec(word)![0].length;
    const close = /\)*$/.exec(word.slice(open))![0].length;
    out.push(...'('.repeat(open));
    if (word.length - open - close > 0) out.push(word.slice(open, word.length - close));
    out.push(...')'.repeat(close));
  }
  return out;
}

function parseCheck(tok: string): RuleNode {
  if (tok === '@') return { kind: 'always' };
  if (tok === '!') return { kind: 'never' };
  const colon = tok.indexOf(':');
  if (colon <= 0 || colon === tok.length - 1) throw new Error(`"${tok}" is not a check (expected kind:value, @ or !)`);
  const key = tok.slice(0, colon);
  const value = tok.slice(colon + 1);
  if (key === 'rule') return { kind: 'rule', name: value };
  if (key === 'role') return { kind: 'role', role: value.toLowerCase() };
  const target = /^%\(([A-Za-z0-9_.]+)\)s$/.exec(value);
  return target ? { kind: 'field', key, targetKey: target[1] } : { kind: 'field', key, literal: value };
}

/** Parses one rule string; throws Error with what is wrong (the caller names the file and rule). */
export function parseRule(text: string): RuleNode {
  const toks = tokenize(text);
  if (toks.length === 0) return { kind: 'always' };
  let pos = 0;
  const peek = (): string | undefined => toks[pos];
  const expr = (): RuleNode => binary('or', () => binary('and', unary));
  function binary(op: 'and' | 'or', operand: () => RuleNode): RuleNode {
    const items = [operand()];
    while (peek()?.toLowerCase() === op) { pos++; items.push(operand()); }
    return items.length === 1 ? items[0] : { kind: op, items };
  }
  function unary(): RuleNode {
    const tok = toks[pos++];
    if (tok === undefined) throw new Error('the rule ends where a check was expected');
    const lower = tok.toLowerCase();
    if (lower === 'not') return { kind: 'not', item: unary() };
    if (tok === '(') {
      const inner = expr();
      if (toks[pos++] !== ')') throw new Error('a "(" is not closed');
      return inner;
    }
    if (tok === ')' || lower === 'and' || lower === 'or') throw new Error(`unexpected "${tok}"`);
    return parseCheck(tok);
  }
  const node = expr();
  if (pos < toks.length) throw new Error(`unexpected "${toks[pos]}"`);
  return node;
}

/** The names of the rules `node` refers to with rule:NAME. */
export function referencedRules(node: RuleNode): string[] {
  switch (node.kind) {
    case 'rule': return [node.name];
    case 'and': case 'or': return node.items.flatMap(referencedRules);
    case 'not': return referencedRules(node.item);
    default: return [];
  }
}

function fieldMatches(node: Extract<RuleNode, { kind: 'field' }>, input: RuleInput): boolean {
  const have = input.creds[node.key];
  const want = node.targetKey !== undefined ? input.target[node.targetKey] : node.literal;
  if (want === undefined || want === '' || have === undefined) return false;
  if (Array.isArray(have)) return have.includes(want);
  // Ids compare exactly; literals like is_admin:True compare as oslo.policy does, ignoring case.
  if (node.targetKey !== undefined) return String(have) === want;
  return String(have).toLowerCase() === want.toLowerCase();
}

/** Evaluates `node`; rule:NAME is looked up in `rules` (already checked to exist and be acyclic). */
export function evaluate(node: RuleNode, input: RuleInput, rules: ReadonlyMap<string, RuleNode>): boolean {
  switch (node.kind) {
    case 'always': return true;
    case 'never': return false;
    case 'and': return node.items.every((n) => evaluate(n, input, rules));
    case 'or': return node.items.some((n) => evaluate(n, input, rules));
    case 'not': return !evaluate(node.item, input, rules);
    case 'role': return Array.isArray(input.creds.roles) && input.creds.roles.includes(node.role);
    case 'rule': {
      const target = rules.get(node.name);
      return target !== undefined && evaluate(target, input, rules);
    }
    case 'field': return fieldMatches(node, input);
  }
}
