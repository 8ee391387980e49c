/**
 * The one set of parsers for configuration values: the app's environment variables, the sample stack's settings
 * (environment variables over cdktf context) and the latency middleware's options and `AWS_EMF_*` variables. A
 * {@link Reader} reads keys from a {@link Source}, converts text to integers, numbers, booleans and lists, and
 * records every value it refuses into a {@link Problems} as
 * `<name> <value> is not valid; allowed: <what is allowed>`, so all three callers word problems alike.
 * Like the rest of the contract it imports neither cdktf nor Koa, nor Node's types.
 */
import { type Problems, show } from "./problems";

/** A value a {@link Source} found for a key. */
export interface Found {
  /** The value: text (an environment variable, a command line) or an already typed value (JSON, an option). */
  readonly value: unknown;
  /** How messages name it: `PORT`, `desiredCount (KOAAPP_DESIRED_COUNT)`, `endpoint (AWS_EMF_AGENT_ENDPOINT)`. */
  readonly name: string;
  /**
   * Whether a string value is text that the parsers convert to integers, numbers, booleans and lists. False for a
   * typed source (a JavaScript option), where `"5"` is a string and never a number.
   * @default true
   */
  readonly fromText?: boolean;
  /** Whether messages show `<redacted>` instead of the value. @default false */
  readonly secret?: boolean;
}

/**
 * Looks a key up: what was found, or `undefined` when the key is unset. Each source decides what counts as unset
 * (for environment variables, `""` does: ECS passes it for a value left blank).
 */
export type Source<K extends string = string> = (key: K) => Found | undefined;

/** Options of every parser. */
export interface ParseOptions {
  /** What is allowed, as the message says it after "allowed:". @default - the parser's own wording */
  readonly allowed?: string;
}

/** Options of {@link Reader.integer}. */
export interface IntegerOptions extends ParseOptions {
  /** Smallest value allowed. @default - no bound */
  readonly min?: number;
  /** Largest value allowed. @default - no bound */
  readonly max?: number;
  /** Unit, plural, for the message: `ms` gives "an integer of ms from 1 to 600000". @default - none */
  readonly unit?: string;
}

/** Options of {@link Reader.number}. */
export interface NumberOptions extends ParseOptions {
  /** Smallest value allowed (itself excluded with `exclusiveMin`). @default - no bound */
  readonly min?: number;
  /** Largest value allowed. @default - no bound */
  readonly max?: number;
  /** Whether `min` itself is refused ("above 0"). @default false */
  readonly exclusiveMin?: boolean;
}

/** Options of {@link Reader.string}; a contract `NameRule` (`what`, `allowed`, `test`) is one. */
export interface StringOptions extends ParseOptions {
  /** A pattern the whole string must match. @default - any string */
  readonly pattern?: RegExp;
  /** A test the string must pass, besides `pattern`. @default - any string */
  readonly test?: (value: string) => boolean;
  /** What a valid value is, after "is not": `an AWS region`. @default "valid" */
  readonly what?: string;
}

/** Options of {@link Reader.parse}. */
export interface CustomOptions extends ParseOptions {
  /** What is allowed, as the message says it after "allowed:". */
  readonly allowed: string;
}

/** Text that is an integer: optional minus, digits only (no sign, space, exponent or fraction). */
const INTEGER_TEXT = /^-?\d+$/;

/** Text that is a decimal number: optional minus, digits, optional fraction (no exponent, no leading dot). */
const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/** "from 1 to 65535", "of at least 0", "of at most 10", or "" without bounds. */
function range(min: number | undefined, max: number | undefined, above = false): string {
  if (min !== undefined && max !== undefined)
    return above ? ` above ${min}, at most ${max}` : ` from ${min} to ${max}`;
  if (min !== undefined) return above ? ` above ${min}` : ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return "";
}

/**
 * Reads typed values from a {@link Source}, recording each refused value into `problems`. Every parser returns
 * `undefined` when the key is unset or its value was refused, so a caller writes its default with `??`.
 */
export class Reader<K extends string = string> {
  /**
   * @param problems - where refused values are recorded
   * @param source - where values come from and how they are named
   */
  constructor(
    private readonly problems: Problems,
    private readonly source: Source<K>,
  ) {}

  /** Whether the source has a value for `key` (valid or not). */
  isSet(key: K): boolean {
    return this.source(key) !== undefined;
  }

  /** The value of `key` as the source has it, unconverted and unchecked; undefined when unset. */
  raw(key: K): unknown {
    return this.source(key)?.value;
  }

  /**
   * An integer (a safe one): a number, or text of digits with an optional minus.
   * Allowed, by default: "an integer[ of <unit>] from <min> to <max>".
   */
  integer(key: K, options: IntegerOptions = {}): number | undefined {
    const { min, max, unit } = options;
    const allowed = options.allowed ?? `an integer${unit ? ` of ${unit}` : ""}${range(min, max)}`;
    return this.read(key, allowed, (value, fromText) => {
      const n =
        typeof value === "number" ? value : fromText && isText(value, INTEGER_TEXT) ? Number(value) : NaN;
      const ok =
        Number.isSafeInteger(n) && (min === undefined || n >= min) && (max === undefined || n <= max);
      return ok ? n : undefined;
    });
  }

  /**
   * A finite number: a number, or decimal text (`5`, `0.5`, `-2`). Allowed, by default: "a number from <min> to
   * <max>", or "a number above <min>, at most <max>" with `exclusiveMin`.
   */
  number(key: K, options: NumberOptions = {}): number | undefined {
    const { min, max, exclusiveMin = false } = options;
    const allowed = options.allowed ?? `a number${range(min, max, exclusiveMin)}`;
    return this.read(key, allowed, (value, fromText) => {
      const n =
        typeof value === "number" ? value : fromText && isText(value, NUMBER_TEXT) ? Number(value) : NaN;
      const aboveMin = min === undefined || (exclusiveMin ? n > min : n >= min);
      return Number.isFinite(n) && aboveMin && (max === undefined || n <= max) ? n : undefined;
    });
  }

  /**
   * A boolean, or the text `true` or `false` (exactly). Allowed, by default: "true, false" ("a boolean" for a
   * typed source).
   */
  boolean(key: K, options: ParseOptions = {}): boolean | undefined {
    const found = this.source(key);
    if (found === undefined) return undefined;
    const fromText = found.fromText ?? true;
    const { value } = found;
    if (typeof value === "boolean") return value;
    if (fromText && (value === "true" || value === "false")) return value === "true";
    return this.refuse(found, options.allowed ?? (fromText ? "true, false" : "a boolean"));
  }

  /** One of `allowed`, exactly (case matters). Allowed, by default: the values, comma-separated. */
  oneOf<T extends string>(key: K, allowed: readonly T[], options: ParseOptions = {}): T | undefined {
    return this.read(key, options.allowed ?? allowed.join(", "), (value) =>
      (allowed as readonly unknown[]).includes(value) ? (value as T) : undefined,
    );
  }

  /**
   * A list of strings: an array of strings, or text that is a JSON array of strings (`["a","b"]`) or
   * comma-separated values (`a, b`: each trimmed; blank text is the empty list).
   * Allowed, by default: "a JSON array of strings or comma-separated values".
   */
  list(key: K, options: ParseOptions = {}): string[] | undefined {
    const allowed = options.allowed ?? "a JSON array of strings or comma-separated values";
    return this.read(key, allowed, (value, fromText) => {
      if (isStringArray(value)) return [...value];
      if (!fromText || typeof value !== "string") return undefined;
      const text = value.trim();
      if (text.startsWith("[")) return parseJsonList(text);
      return text === "" ? [] : text.split(",").map((item) => item.trim());
    });
  }

  /**
   * A string, passing `pattern` and `test` when given. Allowed, by default: "a string", or "a string matching
   * <pattern>"; a refused value "is not <what>" (default "valid").
   */
  string(key: K, options: StringOptions = {}): string | undefined {
    const { pattern, test } = options;
    const allowed = options.allowed ?? (pattern ? `a string matching ${pattern}` : "a string");
    return this.read(
      key,
      allowed,
      (value) =>
        typeof value === "string" && (!pattern || pattern.test(value)) && (!test || test(value))
          ? value
          : undefined,
      options.what,
    );
  }

  /** A string turned into a `T` by `parse`, which returns `undefined` for a string it refuses. */
  parse<T>(key: K, parse: (text: string) => T | undefined, options: CustomOptions): T | undefined {
    return this.read(key, options.allowed, (value) => (typeof value === "string" ? parse(value) : undefined));
  }

  /** The converted value of `key`; undefined when unset, or when refused (then recorded). */
  private read<T>(
    key: K,
    allowed: string,
    convert: (value: unknown, fromText: boolean) => T | undefined,
    what?: string,
  ): T | undefined {
    const found = this.source(key);
    if (found === undefined) return undefined;
    const converted = convert(found.value, found.fromText ?? true);
    return converted === undefined ? this.refuse(found, allowed, what) : converted;
  }

  private refuse(found: Found, allowed: string, what = "valid"): undefined {
    const shown = found.secret ? "<redacted>" : show(found.value);
    this.problems.add(`${found.name} ${shown} is not ${what}; allowed: ${allowed}`);
    return undefined;
  }
}

function isText(value: unknown, pattern: RegExp): value is string {
  return typeof value === "string" && pattern.test(value);
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function parseJsonList(text: string): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: refused as a whole, with the value, by the caller.
    return undefined;
  }
  return isStringArray(parsed) ? [...parsed] : undefined;
}

/** Options of {@link environmentSource}. */
export interface EnvironmentSourceOptions {
  /** Variables whose values messages never show. @default none */
  readonly secrets?: readonly string[];
}

/**
 * Environment variables as a {@link Source}: the key is the variable, messages name it as such (`PORT`), and a
 * variable set to `""` counts as unset (ECS passes `""` for a value left blank).
 *
 * @param env - the variables, e.g. `process.env`
 */
export function environmentSource(
  env: Readonly<Record<string, string | undefined>>,
  options: EnvironmentSourceOptions = {},
): Source {
  const secrets = options.secrets ?? [];
  return (name) => {
    const value = env[name];
    if (value === undefined || value === "") return undefined;
    return { value, name, ...(secrets.includes(name) ? { secret: true } : {}) };
  };
}
