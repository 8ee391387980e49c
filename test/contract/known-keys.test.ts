import { didYouMean, editDistance, unknownKeys } from "../../contract/known-keys";

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["cpu", "cpu", 0],
    ["", "port", 4],
    ["port", "", 4],
    ["namspace", "namespace", 1],
    ["imge", "image", 1],
    ["memoryMib", "memoryMiB", 1],
    ["ab", "ba", 2],
    ["kitten", "sitting", 3],
    ["maxTasks", "maxCapacity", 7],
  ])("GIVEN %p and %p WHEN compared THEN the distance is %p", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe("didYouMean", () => {
  const SCALING = ["desiredCount", "minCapacity", "maxCapacity", "cpuTargetPercent"];

  it("GIVEN a key one edit from a known name WHEN looked up THEN that name is suggested", () => {
    expect(didYouMean("namspace", ["namespace", "logGroupName"])).toBe("namespace");
  });

  it("GIVEN a key two edits from a known name WHEN looked up THEN that name is suggested", () => {
    expect(didYouMean("mxCapacty", SCALING)).toBe("maxCapacity");
  });

  it("GIVEN a key three edits from every known name WHEN looked up THEN nothing is guessed", () => {
    expect(didYouMean("mxCpacty", SCALING)).toBeUndefined();
  });

  it("GIVEN a key that differs from a known name in case only WHEN looked up THEN that name is suggested", () => {
    expect(didYouMean("MaxCapacity", SCALING)).toBe("maxCapacity");
    expect(didYouMean("DESIREDCOUNT", SCALING)).toBe("desiredCount");
  });

  it("GIVEN two known names within two edits WHEN looked up THEN the closer one is suggested", () => {
    expect(didYouMean("cpux", ["cpuxyz", "cpu"])).toBe("cpu");
  });

  it("GIVEN a key close to nothing known WHEN looked up THEN nothing is guessed", () => {
    expect(didYouMean("maxTasks", ["serviceName", "container", "network", "scaling"])).toBeUndefined();
    expect(didYouMean("anything", [])).toBeUndefined();
  });
});

describe("unknownKeys", () => {
  it("GIVEN an object with known and unknown keys WHEN listed THEN the unknown ones come in the object's order", () => {
    expect(unknownKeys({ zeta: 1, cpu: 2, alpha: 3, memoryMiB: 4 }, ["cpu", "memoryMiB"])).toEqual([
      "zeta",
      "alpha",
    ]);
  });

  it("GIVEN only known keys, some absent WHEN listed THEN there is none", () => {
    expect(unknownKeys({ cpu: 256 }, ["cpu", "memoryMiB"])).toEqual([]);
  });

  it("GIVEN inherited and non-enumerable properties WHEN listed THEN only own enumerable keys are judged", () => {
    const value = Object.create({ inherited: true }) as Record<string, unknown>;
    Object.defineProperty(value, "hidden", { value: 1, enumerable: false });
    value.typo = 2;

    expect(unknownKeys(value, [])).toEqual(["typo"]);
  });
});
