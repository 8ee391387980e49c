import {
  type AlarmState,
  breaches,
  defaultEvaluationRange,
  type EvaluationSettings,
  evaluateRange,
  type TreatMissingData,
} from "./alarm-evaluation";

/** "0 - X - X" → [0, undefined, 1, undefined, 1]: 0 within, X breaching, - missing; oldest first, newest right. */
function datapoints(row: string): (number | undefined)[] {
  return row.split(" ").map((cell) => (cell === "-" ? undefined : cell === "X" ? 1 : 0));
}

function settings(n: number, m: number, treatMissingData: TreatMissingData): EvaluationSettings {
  return {
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0.5,
    evaluationPeriods: n,
    datapointsToAlarm: m,
    treatMissingData,
  };
}

const TREATMENTS: readonly TreatMissingData[] = ["missing", "ignore", "breaching", "notBreaching"];
type Expected = AlarmState | "retain";

/**
 * The example tables of "Configuring how CloudWatch alarms treat missing data" (evaluation range 5), every row of
 * every archived revision (awsdocs/amazon-cloudwatch-user-guide doc_source/AlarmThatSendsEmail.md: 05fd32f6, cd4004cd
 * and the revision with the premature-transition section). Columns: MISSING, IGNORE, BREACHING, NOT BREACHING.
 */
const TABLE_3_OF_3: readonly [string, readonly Expected[]][] = [
  ["0 - X - X", ["OK", "OK", "OK", "OK"]],
  ["0 - - - -", ["OK", "OK", "OK", "OK"]],
  ["- - - - -", ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"]],
  ["0 X X - X", ["ALARM", "ALARM", "ALARM", "ALARM"]],
  ["- - - - X", ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"]],
  ["X - - - -", ["ALARM", "retain", "ALARM", "OK"]],
  ["- - X - -", ["ALARM", "retain", "ALARM", "OK"]],
];
const TABLE_2_OF_3: readonly [string, readonly Expected[]][] = [
  ["0 - X - X", ["ALARM", "ALARM", "ALARM", "ALARM"]],
  ["0 0 X 0 X", ["ALARM", "ALARM", "ALARM", "ALARM"]],
  ["0 - X - -", ["OK", "OK", "ALARM", "OK"]],
  ["- - - - 0", ["OK", "OK", "ALARM", "OK"]],
  ["- - - - X", ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"]],
  ["- - - X -", ["ALARM", "retain", "ALARM", "OK"]],
];

describe("one alarm evaluation over the evaluation range", () => {
  describe.each([
    ["3 of 3", 3, TABLE_3_OF_3],
    ["2 of 3", 2, TABLE_2_OF_3],
  ] as const)("the guide's %s table", (_name, m, table) => {
    it.each(table)(
      "GIVEN %s WHEN evaluated under each treat_missing_data THEN the state is the published one",
      (row, expected) => {
        TREATMENTS.forEach((treatment, column) => {
          for (const current of ["OK", "ALARM"] as const) {
            const result = evaluateRange(datapoints(row), settings(3, m, treatment), current);
            const want = expected[column] === "retain" ? current : expected[column];
            expect({ treatment, current, state: result.state }).toEqual({ treatment, current, state: want });
          }
        });
      },
    );
  });

  it("GIVEN a full range WHEN evaluated THEN the most recent N datapoints decide, M of them non-consecutive", () => {
    const result = evaluateRange(datapoints("0 0 X 0 X 0 X"), settings(5, 3, "missing"), "OK");
    expect(result).toEqual({
      state: "ALARM",
      reason: "threshold-crossed",
      evaluated: [1, 0, 1, 0, 1],
      filled: 0,
    });
    // Two older breaching datapoints are in the range but outside the most recent N.
    expect(evaluateRange(datapoints("X X X 0 X 0 0"), settings(5, 3, "missing"), "ALARM").state).toBe("OK");
  });

  it("GIVEN gaps but N real datapoints in the range WHEN evaluated THEN older real datapoints are reached and the treatment is not used", () => {
    for (const treatment of TREATMENTS) {
      const result = evaluateRange(datapoints("X - X - X"), settings(3, 3, treatment), "OK");
      expect({ treatment, state: result.state, filled: result.filled }).toEqual({
        treatment,
        state: "ALARM",
        filled: 0,
      });
    }
  });

  it("GIVEN fewer real datapoints than N WHEN treated as breaching THEN only the shortfall is filled", () => {
    const result = evaluateRange(datapoints("0 - X - -"), settings(3, 3, "breaching"), "OK");
    expect(result).toEqual({ state: "OK", reason: "within-threshold", evaluated: [0, 1], filled: 1 });
  });

  it("GIVEN the premature-alarm rule WHEN the breach is younger than M periods THEN missing stays INSUFFICIENT_DATA, then alarms", () => {
    const young = evaluateRange(datapoints("- - - X -"), settings(3, 3, "missing"), "OK");
    expect([young.state, young.reason]).toEqual(["INSUFFICIENT_DATA", "too-few-datapoints"]);
    const old = evaluateRange(datapoints("- - X - -"), settings(3, 3, "missing"), "OK");
    expect([old.state, old.reason]).toEqual(["ALARM", "premature-alarm"]);
  });

  it("GIVEN the comparison operators WHEN a datapoint equals the threshold THEN only the OrEqualTo variants breach", () => {
    expect(breaches(5, "GreaterThanThreshold", 5)).toBe(false);
    expect(breaches(5, "GreaterThanOrEqualToThreshold", 5)).toBe(true);
    expect(breaches(5, "LessThanThreshold", 5)).toBe(false);
    expect(breaches(5, "LessThanOrEqualToThreshold", 5)).toBe(true);
    expect(breaches(4, "LessThanThreshold", 5)).toBe(true);
  });

  it("GIVEN the guide's only published range (N = 3 → 5) WHEN the default range is computed THEN it is N + 2", () => {
    expect([1, 3, 5].map(defaultEvaluationRange)).toEqual([3, 5, 7]);
  });
});
