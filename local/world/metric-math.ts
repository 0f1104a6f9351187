/**
 * A small CloudWatch metric-math evaluator: numbers, metric ids, `+ - * /`, parentheses, unary
 * minus, and the functions FILL(x, value), ABS(x), MIN(x, y), MAX(x, y). A series is a map from
 * period start (ms) to value; a binary operation on two series keeps the timestamps both have,
 * and results that are not finite numbers (x/0) are dropped, as CloudWatch drops them.
 */
export type Series = Map<number, number>;
export type MathValue = Series | number;

export interface MathScope {
  /** The series of a query id (undefined: unknown id). */
  series(id: string): Series | undefined;
  /** Every period start in the queried range (FILL fills these). */
  readonly timestamps: readonly number[];
}

export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?/.exec(expr.slice(i));
      if (!m) throw new MetricMathError(`bad number at ${i} in '${expr}'`);
      out.push({ kind: 'num', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i)) as RegExpExecArray;
      out.push({ kind: 'id', value: m[0] });
      i += m[0].length;
    } else if ('+-*/(),'.includes(c)) {
      out.push({ kind: 'op', value: c });
      i++;
    } else {
      throw new MetricMathError(`unexpected '${c}' at ${i} in '${expr}'`);
    }
  }
  return out;
}

function binary(a: MathValue, b: MathValue, f: (x: number, y: number) => number): MathValue {
  if (typeof a === 'number' && typeof b === 'number') return f(a, b);
  const out: Series = new Map();
  if (typeof a === 'number') {
    for (const [t, y] of b as Series) put(out, t, f(a, y));
  } else if (typeof b === 'number') {
    for (const [t, x] of a) put(out, t, f(x, b));
  } else {
    for (const [t, x] of a) {
      const y = b.get(t);
      if (y !== undefined) put(out, t, f(x, y));
    }
  }
  return out;
}
function put(s: Series, t: number, v: number): void {
  if (Number.isFinite(v)) s.set(t, v);
}

/** Evaluate `expr` in `scope`. Throws {@link MetricMathError} on a syntax error or unknown id. */
export function evaluate(expr: string, scope: MathScope): MathValue {
  const tokens = tokenize(expr);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const expectOp = (v: string): void => {
    const t = tokens[pos++];
    if (t?.kind !== 'op' || t.value !== v) throw new MetricMathError(`expected '${v}' in '${expr}'`);
  };
  const parseExpr = (): MathValue => {
    let left = parseTerm();
    for (let t = peek(); t?.kind === 'op' && (t.value === '+' || t.value === '-'); t = peek()) {
      pos++;
      const right = parseTerm();
      left = t.value === '+' ? binary(left, right, (x, y) => x + y) : binary(left, right, (x, y) => x - y);
    }
    return left;
  };
  const parseTerm = (): MathValue => {
    let left = parseFactor();
    for (let t = peek(); t?.kind === 'op' && (t.value === '*' || t.value === '/'); t = peek()) {
      pos++;
      const right = parseFactor();
      left = t.value === '*' ? binary(left, right, (x, y) => x * y) : binary(left, right, (x, y) => x / y);
    }
    return left;
  };
  const parseFactor = (): MathValue => {
    const t = peek();
    if (t?.kind === 'op' && t.value === '-') {
      pos++;
      return binary(-1, parseFactor(), (x, y) => x * y);
    }
    return parsePrimary();
  };
  const parseArgs = (): MathValue[] => {
    expectOp('(');
    const args = [parseExpr()];
    while (peek()?.kind === 'op' && peek()?.value === ',') {
      pos++;
      args.push(parseExpr());
    }
    expectOp(')');
    return args;
  };
  const parsePrimary = (): MathValue => {
    const t = tokens[pos++];
    if (!t) throw new MetricMathError(`unexpected end of '${expr}'`);
    if (t.kind === 'num') return t.value;
    if (t.kind === 'op' && t.value === '(') {
      const v = parseExpr();
      expectOp(')');
      return v;
    }
    if (t.kind === 'id') {
      const next = peek();
      if (next?.kind === 'op' && next.value === '(') return call(t.value.toUpperCase(), parseArgs());
      const s = scope.series(t.value);
      if (!s) throw new MetricMathError(`unknown metric id '${t.value}' in '${expr}'`);
      return s;
    }
    throw new MetricMathError(`unexpected '${t.value}' in '${expr}'`);
  };
  const call = (fn: string, args: MathValue[]): MathValue => {
    switch (fn) {
      case 'FILL': {
        const [x, v] = args;
        if (args.length !== 2 || typeof v !== 'number') throw new MetricMathError('FILL takes (series, number)');
        if (typeof x === 'number') return x;
        const out: Series = new Map();
        for (const t of scope.timestamps) out.set(t, x.get(t) ?? v);
        return out;
      }
      case 'ABS':
        if (args.length !== 1) throw new MetricMathError('ABS takes one argument');
        return binary(args[0] as MathValue, 0, (x) => Math.abs(x));
      case 'MIN':
      case 'MAX':
        if (args.length !== 2) throw new MetricMathError(`${fn} takes two arguments here`);
        return binary(args[0] as MathValue, args[1] as MathValue, fn === 'MIN' ? Math.min : Math.max);
      default:
        throw new MetricMathError(`unsupported function ${fn} in '${expr}'`);
    }
  };
  const result = parseExpr();
  if (pos !== tokens.length) throw new MetricMathError(`unexpected trailing input in '${expr}'`);
  return result;
}
