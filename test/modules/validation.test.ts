import { TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { Problems } from "../../contract/problems";
import {
  Checker,
  invalidProps,
  isKnown,
  isObject,
  keysOf,
  validatedBy,
  validateOwnProps,
  validateProps,
} from "../../modules/validation";
import { newStack } from "./support";

/** The problems one check records on a fresh root checker. */
function problemsOf(record: (c: Checker) => void): readonly string[] {
  const c = new Checker();
  record(c);
  return c.problems.all;
}

/** Fresh variables of each type, as the values a user passes from Terraform variables. */
function tokens() {
  const stack = newStack();
  return {
    number: new TerraformVariable(stack, "n", { type: "number" }).numberValue,
    string: new TerraformVariable(stack, "s", { type: "string" }).stringValue,
    boolean: new TerraformVariable(stack, "b", { type: "bool" }).booleanValue,
    list: new TerraformVariable(stack, "l", { type: "list(string)" }).listValue,
    map: Token.asStringMap(new TerraformVariable(stack, "m", { type: "map(string)" }).value),
  };
}

describe("Checker paths", () => {
  it("GIVEN the root checker WHEN descending by prop and index THEN each path is dotted, indexes in brackets", () => {
    const root = new Checker();

    expect(root.path).toBe("");
    expect(root.at("agent").at("cpu").path).toBe("agent.cpu");
    expect(root.at("container").at("secrets").at(2).at("name").path).toBe("container.secrets[2].name");
    expect(root.at(0).path).toBe("[0]");
  });

  it("GIVEN checkers at several paths WHEN each fails THEN one Problems holds every message, in order, under its path", () => {
    const root = new Checker();

    root.at("task").at("cpu").fail(333, "is not a Fargate task CPU value", "256, 512");
    root.at("container").at("image").fail(undefined, "is required", "an image");
    root.at("scaling").relation("minCapacity 5 is above maxCapacity 2");

    expect(root.problems.all).toEqual([
      "task.cpu 333 is not a Fargate task CPU value; allowed: 256, 512",
      "container.image undefined is required; allowed: an image",
      "scaling minCapacity 5 is above maxCapacity 2",
    ]);
  });

  it("GIVEN a failed and a passed check WHEN recorded THEN check returns whether it failed and records only the failure", () => {
    const c = new Checker().at("port");

    expect([c.check(true, 0, "is zero", "1-65535"), c.check(false, 5000, "is zero", "1-65535")]).toEqual([
      true,
      false,
    ]);
    expect(c.problems.all).toEqual(["port 0 is zero; allowed: 1-65535"]);
  });
});

describe("Checker.required", () => {
  it.each([undefined, null])("GIVEN %p WHEN required THEN it is named as missing", (value) => {
    let present = true;
    const problems = problemsOf((c) => {
      present = c.at("network").at("outbound").required(value, '"publicIp", "nat" or "vpcEndpoints"');
    });

    expect(problems).toEqual([
      `network.outbound ${value} is required; allowed: "publicIp", "nat" or "vpcEndpoints"`,
    ]);
    expect(present).toBe(false);
  });

  it.each([0, "", false])("GIVEN the falsy value %p WHEN required THEN it counts as given", (value) => {
    let present = false;

    expect(problemsOf((c) => (present = c.at("x").required(value, "anything")))).toEqual([]);
    expect(present).toBe(true);
  });
});

describe("Checker value checks", () => {
  it.each([
    [0, "0"],
    [11, "11"],
    [1.5, "1.5"],
    ["5", '"5"'],
  ])("GIVEN %p for an integer from 1 to 10 WHEN checked THEN it is out of range", (value, shown) => {
    expect(problemsOf((c) => c.at("retries").integer(value, 1, 10))).toEqual([
      `retries ${shown} is out of range; allowed: an integer from 1 to 10`,
    ]);
  });

  it("GIVEN both bounds and an absent value WHEN checked as integers THEN none is a problem", () => {
    expect(
      problemsOf((c) => {
        c.at("a").integer(1, 1, 10);
        c.at("b").integer(10, 1, 10);
        c.at("c").integer(undefined, 1, 10);
      }),
    ).toHaveLength(0);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 101, "7"])(
    "GIVEN %p for a number above 0 and at most 100 WHEN checked THEN it is out of range",
    (value) => {
      expect(
        problemsOf((c) => c.at("rate").number(value, { above: 0, atMost: 100 }, "above 0, at most 100")),
      ).toEqual([
        `rate ${typeof value === "string" ? `"${value}"` : String(value)} is out of range; allowed: above 0, at most 100`,
      ]);
    },
  );

  it("GIVEN a fraction just above the exclusive bound and the inclusive one WHEN checked as numbers THEN both are accepted", () => {
    expect(
      problemsOf((c) => {
        c.at("a").number(0.001, { above: 0, atMost: 100 }, "above 0");
        c.at("b").number(100, { above: 0, atMost: 100 }, "above 0");
        c.at("c").number(1e9, { above: 0 }, "above 0");
      }),
    ).toHaveLength(0);
  });

  it("GIVEN a value not in the list WHEN checked with oneOf THEN every allowed value is shown as data", () => {
    expect(
      problemsOf((c) => {
        c.at("outbound").oneOf("public", ["publicIp", "nat"]);
        c.at("retentionDays").oneOf(2, [1, 3], "is not a CloudWatch Logs retention");
        c.at("ok").oneOf("nat", ["publicIp", "nat"]);
      }),
    ).toEqual([
      'outbound "public" is not allowed; allowed: "publicIp", "nat"',
      "retentionDays 2 is not a CloudWatch Logs retention; allowed: 1, 3",
    ]);
  });

  it.each([
    ["yes", '"yes"'],
    [1, "1"],
    [null, "null"],
  ])("GIVEN %p WHEN checked as a boolean THEN it is refused", (value, shown) => {
    expect(problemsOf((c) => c.at("dashboard").boolean(value))).toEqual([
      `dashboard ${shown} is not a boolean; allowed: true or false`,
    ]);
  });

  it("GIVEN a string not matching and a number WHEN matched THEN each is refused naming what was expected", () => {
    const pattern = /^vpc-[0-9a-f]{8}$/;

    expect(
      problemsOf((c) => {
        c.at("vpcId").matches("vpc-xyz", pattern, "a vpc ID", '"vpc-" and 8 hexadecimal digits');
        c.at("vpcId").matches(12345678, pattern, "a vpc ID", '"vpc-" and 8 hexadecimal digits');
        c.at("vpcId").matches("vpc-0a1b2c3d", pattern, "a vpc ID", '"vpc-" and 8 hexadecimal digits');
        c.at("vpcId").matches(undefined, pattern, "a vpc ID", '"vpc-" and 8 hexadecimal digits');
      }),
    ).toEqual([
      'vpcId "vpc-xyz" is not a vpc ID; allowed: "vpc-" and 8 hexadecimal digits',
      'vpcId 12345678 is not a vpc ID; allowed: "vpc-" and 8 hexadecimal digits',
    ]);
  });

  it("GIVEN tokens of every type WHEN each value check runs THEN none is judged", () => {
    const t = tokens();

    expect(
      problemsOf((c) => {
        c.at("a").integer(t.number, 1, 10);
        c.at("b").number(t.number, { above: 1000 }, "above 1000");
        c.at("c").oneOf(t.string, ["x"]);
        c.at("d").boolean(t.boolean);
        c.at("e").matches(t.string, /^x$/, "x", "x");
        c.at("f").required(t.string, "anything");
        c.at("g").stringRecord({ Team: t.string }, "tags");
        c.at("h").stringRecord(t.map, "tags");
        c.at("i").list(t.list, "a list");
      }),
    ).toEqual([]);
  });
});

describe("Checker.object", () => {
  const KNOWN = ["image", "port", "name"];

  it("GIVEN an object with a typo and a stranger WHEN checked THEN each unknown key is named, the typo with the key meant", () => {
    let returned: unknown;
    const value = { imge: "app:1", port: 5000, colour: "blue" };
    const problems = problemsOf((c) => {
      returned = c.at("container").object(value, KNOWN, "ContainerOptions");
    });

    expect(problems).toEqual([
      'container.imge "app:1" is not a prop of ContainerOptions (did you mean image?); allowed: image, port, name',
      'container.colour "blue" is not a prop of ContainerOptions; allowed: image, port, name',
    ]);
    expect(returned).toBe(value);
  });

  it("GIVEN a key listed as moved WHEN checked THEN it is refused with where it went, not with a guess", () => {
    const moved = { imageUri: "in 0.2 it is container.image", nme: "in 0.2 it is container.name" };

    const problems = problemsOf((c) => {
      c.at("container").object(
        { imageUri: "app:1", nme: "web", imge: "app:2" },
        KNOWN,
        "ContainerOptions",
        moved,
      );
    });

    // "nme" is one edit from "name": the moved text wins over the guess.
    expect(problems).toEqual([
      'container.imageUri "app:1" is not a prop of ContainerOptions: in 0.2 it is container.image; allowed: image, port, name',
      'container.nme "web" is not a prop of ContainerOptions: in 0.2 it is container.name; allowed: image, port, name',
      'container.imge "app:2" is not a prop of ContainerOptions (did you mean image?); allowed: image, port, name',
    ]);
  });

  it("GIVEN a moved map WHEN a known key is also listed in it THEN the known key is accepted", () => {
    expect(
      problemsOf((c) => {
        c.object({ image: "app:1" }, KNOWN, "ContainerOptions", { image: "in 0.2 it is elsewhere" });
      }),
    ).toEqual([]);
  });

  it("GIVEN a moved map WHEN a key is only inherited from Object.prototype THEN it is no moved prop", () => {
    expect(
      problemsOf((c) => {
        c.object({ toString: 1 }, KNOWN, "ContainerOptions", {});
      }),
    ).toEqual(["toString 1 is not a prop of ContainerOptions; allowed: image, port, name"]);
  });

  it.each([
    ["a string", "app:1", '"app:1"'],
    ["an array", ["app:1"], '["app:1"]'],
    ["null", null, "null"],
  ])("GIVEN %s WHEN checked as an object THEN it is refused and {} is returned", (_what, value, shown) => {
    let returned: unknown;
    const problems = problemsOf((c) => {
      returned = c.at("container").object(value, KNOWN, "ContainerOptions");
    });

    expect(problems).toEqual([`container ${shown} is not an object; allowed: ContainerOptions`]);
    expect(returned).toEqual({});
  });

  it("GIVEN an absent object WHEN checked THEN it is no problem and {} is returned", () => {
    let returned: unknown;

    expect(problemsOf((c) => (returned = c.at("task").object(undefined, KNOWN, "TaskOptions")))).toEqual([]);
    expect(returned).toEqual({});
  });
});

describe("Checker.list and Checker.stringRecord", () => {
  it("GIVEN a list, an absent list and a value that is no list WHEN read THEN the elements come back and only the non-list is refused", () => {
    const read: unknown[] = [];
    const problems = problemsOf((c) => {
      read.push(c.at("a").list(["x", "y"], "names"));
      read.push(c.at("b").list(undefined, "names"));
      read.push(c.at("c").list("x", "names"));
    });

    expect(read).toEqual([["x", "y"], [], []]);
    expect(problems).toEqual(['c "x" is not a list; allowed: names']);
  });

  it("GIVEN a record with a number and a nested object WHEN read as strings THEN each bad value is named under its key", () => {
    let entries: unknown;
    const problems = problemsOf((c) => {
      entries = c.at("tags").stringRecord({ Team: "platform", Cost: 42, Nested: { a: "b" } }, "tags");
    });

    expect(problems).toEqual([
      "tags.Cost 42 is not a string; allowed: a string",
      'tags.Nested {"a":"b"} is not a string; allowed: a string',
    ]);
    expect(entries).toEqual([
      ["Team", "platform"],
      ["Cost", 42],
      ["Nested", { a: "b" }],
    ]);
  });

  it("GIVEN a list where a record belongs WHEN read THEN it is refused and no entry comes back", () => {
    let entries: unknown;

    expect(problemsOf((c) => (entries = c.at("tags").stringRecord(["a"], "tag names to values")))).toEqual([
      'tags ["a"] is not an object; allowed: tag names to values',
    ]);
    expect(entries).toEqual([]);
  });
});

describe("isKnown, isObject and keysOf", () => {
  it("GIVEN literals, undefined and tokens WHEN judged THEN only literals are known", () => {
    const t = tokens();

    expect([1, "x", false, null].map(isKnown)).toEqual([true, true, true, true]);
    expect([undefined, t.number, t.string, t.list].map(isKnown)).toEqual([false, false, false, false]);
  });

  it("GIVEN values of every shape WHEN judged THEN only non-null, non-array objects are objects", () => {
    expect([{}, { a: 1 }, [], null, "x", 1].map(isObject)).toEqual([true, true, false, false, false, false]);
  });

  it("GIVEN a complete key literal of an interface WHEN listed THEN every key comes back in order", () => {
    interface Options {
      readonly cpu?: number;
      readonly memoryMiB?: number;
      readonly name: string;
    }

    expect(keysOf<Options>({ cpu: true, memoryMiB: true, name: true })).toEqual(["cpu", "memoryMiB", "name"]);
  });
});

describe("validateProps and validateOwnProps", () => {
  it("GIVEN a construct whose check records problems WHEN validated THEN one error lists them all under its path", () => {
    const scope = new Construct(newStack(), "Thing");

    expect(() =>
      validateProps(scope, (c) => {
        c.at("cpu").fail(-5, "is out of range", "an integer from 0 to 16384");
        c.at("name").required(undefined, "a name");
      }),
    ).toThrow(
      new Error(
        "test/Thing: invalid props:\n- cpu -5 is out of range; allowed: an integer from 0 to 16384\n- name undefined is required; allowed: a name",
      ),
    );
  });

  it("GIVEN a check that records nothing WHEN validated THEN it ran once on a root checker and nothing is thrown", () => {
    const scope = new Construct(newStack(), "Thing");
    const paths: string[] = [];

    validateProps(scope, (c) => paths.push(c.path));

    expect(paths).toEqual([""]);
  });

  it("GIVEN props marked validatedBy WHEN the child validates its own props THEN its check does not run, and unmarked props are checked", () => {
    const scope = new Construct(newStack(), "Child");
    const marked = validatedBy({ cpu: -5 });
    const sameButUnmarked = { cpu: -5 };
    const failing = (c: Checker) => c.at("cpu").integer(-5, 0, 16384);

    validateOwnProps(scope, marked, failing);

    expect(() => validateOwnProps(scope, sameButUnmarked, failing)).toThrow(
      new Error("test/Child: invalid props:\n- cpu -5 is out of range; allowed: an integer from 0 to 16384"),
    );
    expect(validatedBy(marked)).toBe(marked);
  });

  it("GIVEN a construct WHEN its header is built THEN it names the construct path", () => {
    expect(invalidProps(new Construct(newStack(), "Thing"))).toBe("test/Thing: invalid props");
  });

  it("GIVEN a Problems collected by a Checker WHEN thrown with invalidProps THEN the message is the same as validateProps'", () => {
    const problems = new Problems();
    new Checker(problems, "agent").at("cpu").fail(-5, "is out of range", "0-16384");

    expect(() => problems.throwIfAny(invalidProps(new Construct(newStack(), "S")))).toThrow(
      new Error("test/S: invalid props:\n- agent.cpu -5 is out of range; allowed: 0-16384"),
    );
  });
});
