/**
 * Validation of construct props: every check of a construct's whole props tree records its problems into one
 * {@link Checker}, each message naming the prop's path (`agent.cpu`), the value received and what is allowed,
 * and the construct throws once, with its path, listing them all. Values that are tokens (Terraform variables,
 * references) are not judged: they are only known at plan time. Internal to the package.
 */
import type { IConstruct } from "constructs";
import { didYouMean, unknownKeys } from "../contract/known-keys";
import { Problems, show } from "../contract/problems";
import { Token } from "./cdktf";

/**
 * Every key of a props interface, optional ones included, as an object literal the compiler checks for
 * completeness and typos (`{ serviceName: true, container: true, … }`): the runtime list unknown keys are
 * judged against cannot drift from the type.
 */
export type PropKeys<T> = { readonly [K in keyof Required<T>]: true };

/** The names listed in a {@link PropKeys} literal. */
export function keysOf<T>(keys: PropKeys<T>): readonly string[] {
  return Object.keys(keys);
}

/** True when a value is known at synth time (not a token, not absent), so validation may judge it. */
export function isKnown(value: unknown): boolean {
  return value !== undefined && !Token.isUnresolved(value);
}

/** A plain object (not null, not an array), as props objects are. */
export function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Where validation records problems: a path into the props tree (`""` for the props themselves) over one
 * {@link Problems}. {@link Checker.at} descends (`at("agent").at("cpu")` names `agent.cpu`), so a check written
 * for a concern's options reports the same path whether the façade or the construct itself runs it.
 */
export class Checker {
  /**
   * @param problems - where every problem of the props tree is collected
   * @param path - the path of the value this checker judges, e.g. `agent` or `container.secrets[2]`
   */
  constructor(
    readonly problems: Problems = new Problems(),
    readonly path: string = "",
  ) {}

  /** The checker of a prop (`"cpu"`) or list element (`2`) below this one. */
  at(key: string | number): Checker {
    const path =
      typeof key === "number" ? `${this.path}[${key}]` : this.path === "" ? key : `${this.path}.${key}`;
    return new Checker(this.problems, path);
  }

  /** Records `<path> <value> <problem>; allowed: <allowed>`. */
  fail(value: unknown, problem: string, allowed: string): void {
    this.problems.add(`${this.path} ${show(value)} ${problem}; allowed: ${allowed}`);
  }

  /** {@link fail} when `failed`; returns `failed`. */
  check(failed: boolean, value: unknown, problem: string, allowed: string): boolean {
    if (failed) this.fail(value, problem, allowed);
    return failed;
  }

  /** Records a problem between props: `<path> <text>` (the text names the other props and what is allowed). */
  relation(text: string): void {
    this.problems.add(`${this.path} ${text}`);
  }

  /**
   * Props that mean nothing without another choice: records `<path>.<key> <value> is set without <missing>; allowed:
   * <allowed>` for each of `keys` that `given` sets.
   */
  setWithout(given: object, keys: readonly string[], missing: string, allowed: string): void {
    for (const key of keys) {
      const value = (given as Readonly<Record<string, unknown>>)[key];
      this.at(key).check(value !== undefined, value, `is set without ${missing}`, allowed);
    }
  }

  /** A required prop: records `<path> is required; allowed: <allowed>` when absent. Returns whether present. */
  required(value: unknown, allowed: string): boolean {
    if (value !== undefined && value !== null) return true;
    this.problems.add(`${this.path} ${show(value)} is required; allowed: ${allowed}`);
    return false;
  }

  /** An integer in [min, max], unless absent or a token. */
  integer(value: unknown, min: number, max: number): void {
    if (!isKnown(value)) return;
    this.check(
      typeof value !== "number" || !Number.isInteger(value) || value < min || value > max,
      value,
      "is out of range",
      `an integer from ${min} to ${max}`,
    );
  }

  /** A finite number above `above` (exclusive) and at most `atMost`, unless absent or a token. */
  number(
    value: unknown,
    bounds: { readonly above: number; readonly atMost?: number },
    allowed: string,
  ): void {
    if (!isKnown(value)) return;
    this.check(
      typeof value !== "number" ||
        !Number.isFinite(value) ||
        value <= bounds.above ||
        (bounds.atMost !== undefined && value > bounds.atMost),
      value,
      "is out of range",
      allowed,
    );
  }

  /** One of `allowed`, unless absent or a token. */
  oneOf(value: unknown, allowed: readonly unknown[], what = "is not allowed"): void {
    if (!isKnown(value)) return;
    this.check(!allowed.includes(value), value, what, allowed.map((a) => show(a)).join(", "));
  }

  /** `true` or `false`, unless absent. */
  boolean(value: unknown): void {
    if (value === undefined) return;
    this.check(typeof value !== "boolean" && isKnown(value), value, "is not a boolean", "true or false");
  }

  /** A string matching `pattern`, unless absent or a token. */
  matches(value: unknown, pattern: RegExp, what: string, allowed: string): void {
    if (!isKnown(value)) return;
    this.check(typeof value !== "string" || !pattern.test(value), value, `is not ${what}`, allowed);
  }

  /**
   * A props object: records that it is not one, or each key not in `known` with the key probably meant.
   * `moved` names keys a former release had, each with where that setting is now (`{ taskCpu: "in 0.2 it is
   * task.cpu" }`): such a key is refused with that text instead of a guess, since an edit-distance guess cannot
   * find a prop that moved under another name. Returns the object, or `{}` when the value is absent or not an
   * object (its problem recorded), so checks of its props can go on without special cases.
   */
  object(
    value: unknown,
    known: readonly string[],
    what: string,
    moved: Readonly<Record<string, string>> = {},
  ): Readonly<Record<string, unknown>> {
    if (value === undefined) return {};
    if (!isObject(value)) {
      this.fail(value, "is not an object", what);
      return {};
    }
    for (const key of unknownKeys(value, known)) {
      const now = Object.hasOwn(moved, key) ? moved[key] : undefined;
      const near = now === undefined ? didYouMean(key, known) : undefined;
      const hint = now !== undefined ? `: ${now}` : near ? ` (did you mean ${near}?)` : "";
      this.at(key).fail(value[key], `is not a prop of ${what}${hint}`, known.join(", "));
    }
    return value;
  }

  /** A list: records that the value is not one. Returns its elements (none when absent, a token or not a list). */
  list(value: unknown, allowed: string): readonly unknown[] {
    if (value === undefined || Token.isUnresolved(value)) return [];
    if (!Array.isArray(value)) {
      this.fail(value, "is not a list", allowed);
      return [];
    }
    return value;
  }

  /** A record of strings (environment, tags): records a value that is not a string. Returns its entries. */
  stringRecord(value: unknown, what: string): readonly (readonly [string, unknown])[] {
    if (value === undefined) return [];
    if (!isObject(value)) {
      this.fail(value, "is not an object", what);
      return [];
    }
    const entries = Object.entries(value);
    for (const [key, v] of entries)
      this.at(key).check(typeof v !== "string", v, "is not a string", "a string");
    return entries;
  }
}

/** The header of a construct's validation error: its path, so the user knows which construct to fix. */
export function invalidProps(scope: IConstruct): string {
  return `${scope.node.path}: invalid props`;
}

/**
 * Validates a construct's props once: runs `check` on a fresh {@link Checker} and throws one error listing every
 * problem under the construct's path.
 */
export function validateProps(scope: IConstruct, check: (checker: Checker) => void): void {
  const checker = new Checker();
  check(checker);
  checker.problems.throwIfAny(invalidProps(scope));
}

/**
 * Props objects a composing construct has already validated as part of its own props tree (with their path
 * there), so the child it builds from them does not validate them again.
 */
const validatedByParent = new WeakSet<object>();

/** Marks `props` as validated by the construct that builds a child from them; returns them. */
export function validatedBy<T extends object>(props: T): T {
  validatedByParent.add(props);
  return props;
}

/** {@link validateProps}, unless a composing construct already validated exactly these props. */
export function validateOwnProps(scope: IConstruct, props: object, check: (checker: Checker) => void): void {
  if (!validatedByParent.has(props)) validateProps(scope, check);
}
