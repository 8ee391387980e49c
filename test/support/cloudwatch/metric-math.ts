/**
 * The subset of CloudWatch metric math an alarm of this stack may use, evaluated over a grid of periods, with
 * CloudWatch's documented handling of periods that have no datapoint.
 *
 * Source for every rule: "Using metric math",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html (archived Markdown:
 * awsdocs/amazon-cloudwatch-user-guide doc_source/using-metric-math.md @ 20a560c12498bb7fdbd1325e1c1415367dc601bf).
 *
 * Supported: numbers, ids (lowercase first letter), `+ - * / ^`, unary `-`, `== != <= >= < >`, `AND`/`&&`,
 * `OR`/`||`, `IF(cond, a[, b])`, `FILL(ts, value | ts)`, `FLOOR(ts)`, `MIN([ts, ...])`, `MAX([ts, ...])`. Anything
 * else throws, so a test never passes on an expression the model does not understand.
 */

/** A time series over the grid: element `k` is period `k`'s datapoint, `undefined` when it has none. */
export type Series = readonly (number | undefined)[];

type Value =
  | { readonly kind: "scalar"; readonly value: number }
  | { readonly kind: "series"; readonly values: Series }
  | { readonly kind: "array"; readonly items: readonly Series[] };

type Node =
  | { readonly type: "number"; readonly value: number }
  | { readonly type: "id"; readonly name: string }
  | { readonly type: "unary"; readonly operand: Node }
  | { readonly type: "binary"; readonly op: string; readonly left: Node; readonly right: Node }
  | { readonly type: "call"; readonly name: string; readonly args: readonly Node[] }
  | { readonly type: "array"; readonly items: readonly Node[] };

const TOKEN = /\s*(\d+(?:\.\d+)?|[a-z][A-Za-z0-9_]*|[A-Z][A-Z_0-9]*|==|!=|<=|>=|&&|\|\||[-+*/^<>(),[\]])/y;
const COMPARISONS = ["==", "!=", "<=", ">=", "<", ">"];

/** The ids an expression reads, so a caller can evaluate its dependencies first. */
export function referencedIds(expression: string): string[] {
  return tokenize(expression).filter((token) => /^[a-z]/.test(token));
}

/**
 * Evaluates an expression whose final result must be one time series ("The final result of any math expression must
 * be a single time series or an array of time series"; an alarm watches exactly one).
 *
 * @param resolve - the series of an id (a metric or another expression of the same alarm)
 * @param length - number of periods in the grid
 */
export function evaluateExpression(
  expression: string,
  resolve: (id: string) => Series,
  length: number,
): Series {
  const result = evaluate(parse(expression), resolve, length);
  if (result.kind !== "series")
    throw new Error(
      `expression ${JSON.stringify(expression)} yields a ${result.kind}; an alarm needs one time series`,
    );
  return result.values;
}

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (!match?.[1])
      throw new Error(`expression ${JSON.stringify(expression)}: cannot read from position ${at}`);
    tokens.push(match[1]);
  }
  return tokens;
}

function parse(expression: string): Node {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const fail = (what: string): never => {
    throw new Error(
      `expression ${JSON.stringify(expression)}: ${what} at token ${position} (${peek() ?? "end"})`,
    );
  };
  const accept = (token: string): boolean => {
    if (tokens[position] !== token) return false;
    position++;
    return true;
  };
  const expect = (token: string) => accept(token) || fail(`expected ${token}`);
  const binaryLevel = (operators: readonly string[], next: () => Node) => (): Node => {
    let left = next();
    while (operators.includes(peek() ?? "")) {
      const op = tokens[position++] as string;
      left = { type: "binary", op, left, right: next() };
    }
    return left;
  };
  const primary = (): Node => {
    const token = peek();
    if (token === undefined) return fail("unexpected end");
    position++;
    if (/^\d/.test(token)) return { type: "number", value: Number(token) };
    if (/^[a-z]/.test(token)) return { type: "id", name: token };
    if (token === "(") {
      const inner = or();
      expect(")");
      return inner;
    }
    if (token === "[") {
      const items = [or()];
      while (accept(",")) items.push(or());
      expect("]");
      return { type: "array", items };
    }
    if (/^[A-Z]/.test(token) && peek() === "(") {
      position++;
      const args = [or()];
      while (accept(",")) args.push(or());
      expect(")");
      return { type: "call", name: token, args };
    }
    return fail(`unexpected ${token}`);
  };
  const unary = (): Node => (accept("-") ? { type: "unary", operand: unary() } : primary());
  const power = (): Node => {
    const base = unary();
    return accept("^") ? { type: "binary", op: "^", left: base, right: power() } : base;
  };
  const product = binaryLevel(["*", "/"], power);
  const sum = binaryLevel(["+", "-"], product);
  const comparison = (): Node => {
    const left = sum();
    if (!COMPARISONS.includes(peek() ?? "")) return left;
    const op = tokens[position++] as string;
    return { type: "binary", op, left, right: sum() };
  };
  const and = binaryLevel(["AND", "&&"], comparison);
  const or: () => Node = binaryLevel(["OR", "||"], and);
  const root = or();
  if (position !== tokens.length) fail("unexpected trailing input");
  return root;
}

function evaluate(node: Node, resolve: (id: string) => Series, length: number): Value {
  const recurse = (child: Node) => evaluate(child, resolve, length);
  switch (node.type) {
    case "number":
      return { kind: "scalar", value: node.value };
    case "id":
      return { kind: "series", values: resolve(node.name) };
    case "unary":
      return pointwise("*", { kind: "scalar", value: -1 }, recurse(node.operand));
    case "binary":
      return pointwise(node.op, recurse(node.left), recurse(node.right));
    case "array":
      return { kind: "array", items: node.items.map((item) => asSeries(recurse(item), "an array element")) };
    case "call":
      return call(node.name, node.args.map(recurse), length);
  }
}

function asSeries(value: Value, what: string): Series {
  if (value.kind !== "series") throw new Error(`${what} must be a time series, got a ${value.kind}`);
  return value.values;
}

/**
 * Arithmetic, comparison and logical operators. Between two series, a timestamp where only one has a value treats
 * the other as 0 ("Missing values in a time series are treated as 0"; for comparisons "the function treats the
 * missing value in the other time series as 0"); a timestamp where neither has one stays empty. With a scalar, the
 * series' empty timestamps stay empty. Division by zero drops the datapoint ("If the value of a data point causes a
 * function to attempt to divide by zero, the data point is dropped").
 */
function pointwise(op: string, left: Value, right: Value): Value {
  if (left.kind === "array" || right.kind === "array")
    throw new Error(`operator ${op} on an array of time series is not modelled`);
  if (left.kind === "scalar" && right.kind === "scalar") {
    const value = apply(op, left.value, right.value);
    if (value === undefined) throw new Error(`scalar division by zero in ${left.value} ${op} ${right.value}`);
    return { kind: "scalar", value };
  }
  const length =
    left.kind === "series" ? left.values.length : right.kind === "series" ? right.values.length : 0;
  const at = (value: Value, k: number) =>
    value.kind === "scalar" ? value.value : (value as { values: Series }).values[k];
  const bothSeries = left.kind === "series" && right.kind === "series";
  const values = Array.from({ length }, (_, k) => {
    const a = at(left, k);
    const b = at(right, k);
    if (a === undefined && b === undefined) return undefined;
    if (!bothSeries && (a === undefined || b === undefined)) return undefined;
    return apply(op, a ?? 0, b ?? 0);
  });
  return { kind: "series", values };
}

function apply(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? undefined : a / b;
    case "^":
      return a ** b;
    case "==":
      return Number(a === b);
    case "!=":
      return Number(a !== b);
    case "<=":
      return Number(a <= b);
    case ">=":
      return Number(a >= b);
    case "<":
      return Number(a < b);
    case ">":
      return Number(a > b);
    case "AND":
    case "&&":
      return Number(a !== 0 && b !== 0);
    case "OR":
    case "||":
      return Number(a !== 0 || b !== 0);
    default:
      throw new Error(`operator ${op} is not modelled`);
  }
}

function call(name: string, args: readonly Value[], length: number): Value {
  switch (name) {
    case "IF":
      return conditional(args, length);
    case "FILL":
      return fill(args);
    case "FLOOR":
      return floor(args);
    case "MIN":
    case "MAX":
      return extreme(name, args, length);
    default:
      throw new Error(`function ${name} is not modelled; allowed: IF, FILL, FLOOR, MIN([..]), MAX([..])`);
  }
}

/**
 * `IF(condition, trueValue[, falseValue])` per "Using IF expressions": a condition datapoint is false iff it is 0.
 * For a series condition, per period: no condition datapoint → dropped; true → the scalar, or the series' value, or
 * **0** when that series has no datapoint; false → the scalar, or the series' value, or dropped when that series has
 * no datapoint or `falseValue` is omitted. A scalar condition picks one whole branch.
 */
function conditional(args: readonly Value[], length: number): Value {
  const [condition, whenTrue, whenFalse] = args;
  if (!condition || !whenTrue || args.length > 3)
    throw new Error("IF takes a condition, a true value and a false value");
  if (whenTrue.kind === "array" || whenFalse?.kind === "array")
    throw new Error("IF branches must not be arrays");
  if (condition.kind === "scalar") {
    if (condition.value !== 0) return whenTrue;
    return whenFalse ?? { kind: "series", values: Array.from({ length }, () => undefined) };
  }
  const values = asSeries(condition, "an IF condition").map((c, k) => {
    if (c === undefined) return undefined;
    if (c !== 0) return whenTrue.kind === "scalar" ? whenTrue.value : (whenTrue.values[k] ?? 0);
    if (whenFalse === undefined) return undefined;
    return whenFalse.kind === "scalar" ? whenFalse.value : whenFalse.values[k];
  });
  return { kind: "series", values };
}

/** `FILL(ts, value)` / `FILL(ts, other)`: every period of the queried range without a datapoint gets the filler's. */
function fill(args: readonly Value[]): Value {
  const [target, filler] = args;
  if (!target || !filler || args.length !== 2) throw new Error("FILL takes a time series and a filler");
  const values = asSeries(target, "FILL's first argument").map((value, k) => {
    if (value !== undefined) return value;
    if (filler.kind === "scalar") return filler.value;
    return asSeries(filler, "FILL's filler")[k];
  });
  return { kind: "series", values };
}

/** `FLOOR(ts)`: "the largest integer less than or equal to each value"; a period without a datapoint stays empty. */
function floor(args: readonly Value[]): Value {
  const [target] = args;
  if (args.length !== 1 || target?.kind !== "series")
    throw new Error("FLOOR is modelled for one time series");
  return {
    kind: "series",
    values: target.values.map((value) => (value === undefined ? undefined : Math.floor(value))),
  };
}

/**
 * `MIN([a, b])` / `MAX([a, b])`: the pointwise extreme of an array of series. Missing values count as 0, as the
 * guide states for AVG of an array (it says nothing for MIN/MAX). The one-series form returns one scalar over the
 * whole retrieved range, which the guide advises against in alarms ("CloudWatch attempts to retrieve a higher number
 * of data points than ... Evaluation Periods. This function acts differently when extra data is requested"): refused.
 */
function extreme(name: "MIN" | "MAX", args: readonly Value[], length: number): Value {
  const [array] = args;
  if (args.length !== 1 || array?.kind !== "array")
    throw new Error(
      `${name} is modelled only as ${name}([ts, ...]) (pointwise); ${name}(ts) is a scalar over the range`,
    );
  const pick = name === "MIN" ? Math.min : Math.max;
  const values = Array.from({ length }, (_, k) => {
    const present = array.items.map((series) => series[k]);
    if (present.every((value) => value === undefined)) return undefined;
    return pick(...present.map((value) => value ?? 0));
  });
  return { kind: "series", values };
}
