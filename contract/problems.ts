/**
 * The one collect-then-throw helper of the repository: the constructs, the sample stack's configuration, the
 * app's configuration and the latency middleware all record every problem they find, then throw once, so a
 * user fixes everything in one round. It lives in the contract because both packages need it; like the rest of
 * the contract it imports neither cdktf nor Koa (token-awareness stays in modules/validation.ts).
 */

/** A constructor of the error thrown, taking the whole message, as `Error` and `TypeError` do. */
export type ErrorClass = new (message: string) => Error;

/**
 * Formats a received value for a message: strings in double quotes (JSON-escaped), numbers, booleans, `null`
 * and `undefined` as themselves, arrays and plain objects of data as JSON; anything JSON would misrepresent (a
 * function, a class instance such as a logger or a stream, an object holding functions, a cycle) as its type.
 */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value !== "object" || value === null) return isData(value) ? String(value) : typeof value;
  return isData(value) ? JSON.stringify(value) : typeof value;
}

/** True when JSON shows `value` faithfully: primitives, and arrays and plain objects of them without cycles. */
function isData(value: unknown, ancestors: readonly object[] = []): boolean {
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") return false;
  if (typeof value !== "object" || value === null) return true;
  if (ancestors.includes(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return false;
  const inside = [...ancestors, value];
  return Object.values(value).every((part) => isData(part, inside));
}

/** The text of an error listing problems: the header, a colon, then one `- ` line per problem. */
export function formatProblems(header: string, problems: readonly string[]): string {
  return `${header}:\n- ${problems.join("\n- ")}`;
}

/**
 * Collects every problem found while validating, then throws once. Each problem names the prop, option or
 * variable, the value received ({@link show}) and what is allowed.
 */
export class Problems {
  private readonly messages: string[] = [];

  /** Records problems, in order: each names what was wrong, the value received and what is allowed. */
  add(...messages: string[]): void {
    this.messages.push(...messages);
  }

  /** Records a problem when `failed` is true. */
  check(failed: boolean, message: string): void {
    if (failed) this.add(message);
  }

  /** All problems recorded so far, in order. */
  get all(): readonly string[] {
    return this.messages;
  }

  /** True when no problem was recorded. */
  get isEmpty(): boolean {
    return this.messages.length === 0;
  }

  /**
   * Throws one error listing every problem under `header` (see {@link formatProblems}); returns normally
   * when there is none.
   *
   * @param header - what was validated: a construct path with "invalid props", "latencyMetrics: invalid options", …
   * @param ErrorType - the error class the caller's API promises. @default Error
   */
  throwIfAny(header: string, ErrorType: ErrorClass = Error): void {
    if (!this.isEmpty) throw new ErrorType(formatProblems(header, this.messages));
  }
}

/**
 * An error that keeps its problems as an array beside the message, for APIs that promise one (the app's and the
 * stack's `ConfigError` are thin subclasses with their own header). Its `name` is the subclass's.
 */
export class ProblemsError extends Error {
  /** One entry per problem, in the order they were found. */
  readonly problems: readonly string[];

  /**
   * @param header - what was validated, the first line of the message
   * @param problems - one message per problem
   */
  constructor(header: string, problems: readonly string[]) {
    super(formatProblems(header, problems));
    this.name = new.target.name;
    this.problems = Object.freeze([...problems]);
  }
}
