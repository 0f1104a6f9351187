/**
 * Composite alarm rules: `ALARM("a") OR (OK(b) AND NOT INSUFFICIENT_DATA("arn:...:alarm:c"))`,
 * TRUE, FALSE. Precedence NOT > AND > OR. Names may be quoted or bare, names or alarm ARNs.
 */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export type RuleNode =
  | { readonly kind: 'state'; readonly state: AlarmStateValue; readonly alarm: string }
  | { readonly kind: 'const'; readonly value: boolean }
  | { readonly kind: 'not'; readonly of: RuleNode }
  | { readonly kind: 'and' | 'or'; readonly left: RuleNode; readonly right: RuleNode };

export class AlarmRuleError extends Error {
  override readonly name = 'AlarmRuleError';
}

/** `arn:aws:cloudwatch:REGION:ACCT:alarm:NAME` -> NAME; a plain name stays as is. */
export const alarmNameOf = (ref: string): string => (ref.includes(':alarm:') ? ref.slice(ref.indexOf(':alarm:') + 7) : ref);

export function parseAlarmRule(rule: string): RuleNode {
  let i = 0;
  const ws = (): void => {
    while (i < rule.length && /\s/.test(rule[i] as string)) i++;
  };
  const word = (): string => {
    ws();
    const m = /^[A-Za-z_]+/.exec(rule.slice(i));
    return m ? m[0] : '';
  };
  const eat = (s: string): boolean => {
    ws();
    if (rule.startsWith(s, i)) {
      i += s.length;
      return true;
    }
    return false;
  };
  const orExpr = (): RuleNode => {
    let left = andExpr();
    while (word().toUpperCase() === 'OR') {
      i += 2;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): RuleNode => {
    let left = notExpr();
    while (word().toUpperCase() === 'AND') {
      i += 3;
      left = { kind: 'and', left, right: notExpr() };
    }
    return left;
  };
  const notExpr = (): RuleNode => {
    if (word().toUpperCase() === 'NOT') {
      i += 3;
      return { kind: 'not', of: notExpr() };
    }
    return primary();
  };
  const primary = (): RuleNode => {
    if (eat('(')) {
      const n = orExpr();
      if (!eat(')')) throw new AlarmRuleError(`missing ')' at ${i} in ${rule}`);
      return n;
    }
    const w = word();
    const upper = w.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') {
      i += w.length;
      return { kind: 'const', value: upper === 'TRUE' };
    }
    if (upper === 'ALARM' || upper === 'OK' || upper === 'INSUFFICIENT_DATA') {
      i += w.length;
      if (!eat('(')) throw new AlarmRuleError(`expected '(' after ${w} in ${rule}`);
      ws();
      let name: string;
      if (rule[i] === '"') {
        const end = rule.indexOf('"', i + 1);
        if (end < 0) throw new AlarmRuleError(`unterminated quote in ${rule}`);
        name = rule.slice(i + 1, end);
        i = end + 1;
      } else {
        const m = /^[^()\s"]+/.exec(rule.slice(i));
        if (!m) throw new AlarmRuleError(`expected an alarm name at ${i} in ${rule}`);
        name = m[0];
        i += name.length;
      }
      if (!eat(')')) throw new AlarmRuleError(`expected ')' after the alarm name in ${rule}`);
      return { kind: 'state', state: upper as AlarmStateValue, alarm: alarmNameOf(name) };
    }
    throw new AlarmRuleError(`unexpected input at ${i} in ${rule}`);
  };
  const node = orExpr();
  ws();
  if (i !== rule.length) throw new AlarmRuleError(`unexpected trailing input at ${i} in ${rule}`);
  return node;
}

export function evaluateRule(node: RuleNode, stateOf: (alarm: string) => AlarmStateValue | undefined): boolean {
  switch (node.kind) {
    case 'state':
      return stateOf(node.alarm) === node.state;
    case 'const':
      return node.value;
    case 'not':
      return !evaluateRule(node.of, stateOf);
    case 'and':
      return evaluateRule(node.left, stateOf) && evaluateRule(node.right, stateOf);
    case 'or':
      return evaluateRule(node.left, stateOf) || evaluateRule(node.right, stateOf);
  }
}

export function childrenOf(node: RuleNode): string[] {
  switch (node.kind) {
    case 'state':
      return [node.alarm];
    case 'const':
      return [];
    case 'not':
      return childrenOf(node.of);
    case 'and':
    case 'or':
      return [...new Set([...childrenOf(node.left), ...childrenOf(node.right)])];
  }
}
