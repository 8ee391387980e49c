/**
 * The Python/Flask example (examples/python-flask/app.py, aws-embedded-metrics for Python) against the metric
 * contract.
 *
 * CI cannot run the example: there is no PyPI here, so neither aws-embedded-metrics nor Flask can be installed by
 * the project. What this file checks instead is a recording of one real run, test/fixtures/python-flask-emf.json,
 * made by `npm run record:python-example` (scripts/record-python-example.sh): the lines the example sent to a TCP
 * listener on the agent endpoint, with the library version, the AWS_EMF_* variables it ran with, and the SHA-256
 * of app.py at the time. The hash test makes an edit to the example without a new recording fail here.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { latencyDocumentProblems } from "../../contract/metric-contract";
import { DIMENSIONS, EMF_VARIABLES, LATENCY_DIMENSION_SETS, UNMATCHED_PATH } from "../../contract/metrics";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import { emfProblems } from "../app/metrics/emf-helpers";
import {
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  SERVICE_PROPS,
  synthStack,
} from "../modules/support";

const ROOT = join(__dirname, "..", "..");
const APP = join(ROOT, "examples", "python-flask", "app.py");

/** The fixture's shape (the parts read here). */
interface Recording {
  readonly appSha256: string;
  readonly library: { readonly name: string; readonly version: string };
  readonly runtime: { readonly flask: string };
  readonly environment: Readonly<Record<string, string>>;
  readonly requests: readonly { readonly path: string; readonly status: number }[];
  readonly documents: readonly string[];
  readonly withDefaultDimensions: { readonly documents: readonly string[] };
}

const recording = JSON.parse(
  readFileSync(join(ROOT, "test", "fixtures", "python-flask-emf.json"), "utf8"),
) as Recording;
const documents = recording.documents.map((line) => JSON.parse(line) as Record<string, unknown>);
const expected = {
  namespace: recording.environment[EMF_VARIABLES.namespace],
  logGroupName: recording.environment[EMF_VARIABLES.logGroupName],
};

/** The version requirements.txt pins for a package. */
function pinned(name: string): string | undefined {
  const requirements = readFileSync(join(ROOT, "examples", "python-flask", "requirements.txt"), "utf8");
  return new RegExp(`^${name}==(\\S+)$`, "m").exec(requirements)?.[1];
}

describe("the Python/Flask example, as recorded", () => {
  it("GIVEN app.py now WHEN hashed THEN it is the app.py the documents were recorded from", () => {
    const current = createHash("sha256").update(readFileSync(APP)).digest("hex");
    const hint =
      "examples/python-flask/app.py changed since the recording: run `npm run record:python-example`";
    expect({ appSha256: current, hint }).toEqual({ appSha256: recording.appSha256, hint });
  });

  it("GIVEN requirements.txt WHEN compared with the recording THEN it pins the library and Flask versions that ran", () => {
    expect(recording.library.name).toBe("aws-embedded-metrics");
    expect({ library: pinned("aws-embedded-metrics"), flask: pinned("Flask") }).toEqual({
      library: recording.library.version,
      flask: recording.runtime.flask,
    });
  });

  it("GIVEN the recorded documents WHEN each is checked against the contract and the EMF schema THEN none has a problem", () => {
    expect(documents.length).toBeGreaterThan(0);
    for (const [index, line] of recording.documents.entries()) {
      expect({ index, problems: latencyDocumentProblems(JSON.parse(line), expected) }).toEqual({
        index,
        problems: [],
      });
      expect({ index, problems: emfProblems(line) }).toEqual({ index, problems: [] });
    }
  });

  it("GIVEN the recorded documents WHEN read THEN they declare exactly the contract's dimension sets, in the task definition's log stream", () => {
    for (const document of documents) {
      expect(document._aws).toMatchObject({
        LogStreamName: recording.environment[EMF_VARIABLES.logStreamName],
        CloudWatchMetrics: [{ Dimensions: LATENCY_DIMENSION_SETS }],
      });
    }
  });

  it("GIVEN the requests sent WHEN the documents are matched to them THEN each measured request is one sample and the health check none", () => {
    const measured = recording.requests.filter((r) => r.path !== "/health");
    expect(recording.requests.length).toBeGreaterThan(measured.length);
    expect(documents.map((d) => [d.Url, d.StatusCode])).toEqual(measured.map((r) => [r.path, r.status]));
  });

  it("GIVEN the recorded documents WHEN grouped THEN they cover a matched route template, (unmatched) and a 5xx", () => {
    const classes = (path: unknown) =>
      documents.filter((d) => d[DIMENSIONS.path] === path).map((d) => d[DIMENSIONS.statusClass]);
    expect(classes("/items/<int:item_id>")).toEqual(["2xx"]);
    expect(classes(UNMATCHED_PATH)).toEqual(["4xx"]);
    expect(
      documents.filter((d) => d[DIMENSIONS.statusClass] === "5xx").map((d) => d[DIMENSIONS.path]),
    ).toEqual(["/fail"]);
  });

  it("GIVEN EmfFargateService for a service named flaskapp WHEN synthesized THEN its AWS_EMF_* variables are the ones the recording ran with", () => {
    const synth = synthStack(
      (stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, serviceName: "flaskapp" }),
    );
    const environment = environmentOf(containerNamed(containerDefinitionsOf(synth.json), "flaskapp"));
    // The log group is a reference until applied: the name it refers to is in the synthesized resource.
    const logGroup = /^\$\{aws_cloudwatch_log_group\.([^.]+)\.name\}$/.exec(
      environment[EMF_VARIABLES.logGroupName],
    );
    const logGroups = synth.json.resource?.aws_cloudwatch_log_group as Record<string, { name: string }>;
    const emf = Object.fromEntries(
      Object.entries({
        ...environment,
        [EMF_VARIABLES.logGroupName]: logGroups[logGroup?.[1] ?? ""]?.name,
      }).filter(([name]) => name.startsWith("AWS_EMF_")),
    );
    expect(emf).toEqual(recording.environment);
  });

  it("GIVEN docs/metric-contract.md WHEN its Python excerpt is read THEN it is a verbatim part of app.py", () => {
    const docs = readFileSync(join(ROOT, "docs", "metric-contract.md"), "utf8");
    const excerpt = /```python\n([\s\S]*?)```/.exec(docs)?.[1] ?? "";
    expect(excerpt).toContain("set_dimensions(");
    expect(readFileSync(APP, "utf8")).toContain(excerpt);
  });

  it("GIVEN the library's document with its default dimensions WHEN checked THEN every set is reported, which is why the example replaces them", () => {
    const [withDefaults] = recording.withDefaultDimensions.documents.map((line) => JSON.parse(line));
    const defaults = ["LogGroup", "ServiceName", "ServiceType"];
    expect(withDefaults._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      [...defaults, "Path"],
      [...defaults, "StatusClass"],
      defaults,
    ]);
    const sets =
      '[["LogGroup","ServiceName","ServiceType","Path"],["LogGroup","ServiceName","ServiceType","StatusClass"],["LogGroup","ServiceName","ServiceType"]]';
    const allowed = 'allowed: exactly [["Path"],["StatusClass"],[]]';
    expect(latencyDocumentProblems(withDefaults, expected)).toEqual([
      `Dimensions ${sets} lack the set ["Path"]; ${allowed}`,
      `Dimensions ${sets} lack the set ["StatusClass"]; ${allowed}`,
      `Dimensions ${sets} lack the set []; ${allowed}`,
      `Dimensions set ["LogGroup","ServiceName","ServiceType","Path"] is not in the contract (a default dimension?); ${allowed}`,
      `Dimensions set ["LogGroup","ServiceName","ServiceType","StatusClass"] is not in the contract (a default dimension?); ${allowed}`,
      `Dimensions set ["LogGroup","ServiceName","ServiceType"] is not in the contract (a default dimension?); ${allowed}`,
    ]);
  });

  it("GIVEN that document WHEN only its dimension sets become the contract's THEN no problem is left", () => {
    const [withDefaults] = recording.withDefaultDimensions.documents.map((line) => JSON.parse(line));
    withDefaults._aws.CloudWatchMetrics[0].Dimensions = LATENCY_DIMENSION_SETS;
    expect(latencyDocumentProblems(withDefaults, expected)).toEqual([]);
  });
});
