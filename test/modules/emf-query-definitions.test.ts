import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DIMENSIONS, LATENCY_METRIC, PROPERTIES, SERVER_ERROR_CLASS } from "../../contract/metrics";
import { EmfQueryDefinitions } from "../../modules/emf-query-definitions";
import { blockOf, ref, resourcesOf, synthStack } from "./support";

const QUERY_NAMES = ["slowest-requests", "errors-by-path", "requests-by-status"];
const CONTRACT_FIELDS = new Set<string>([
  LATENCY_METRIC.name,
  ...Object.values(DIMENSIONS),
  ...Object.values(PROPERTIES),
]);

describe("EmfQueryDefinitions on a literal log group", () => {
  const synth = synthStack(
    (stack) =>
      new EmfQueryDefinitions(stack, "Queries", { folder: "koaapp", logGroupName: "/ecs/koaapp/emf" }),
  );
  const { queries } = synth.built;
  const linesOf = (name: string) => {
    const query = queries[name];
    if (!query) throw new Error(`no query ${name}; have ${Object.keys(queries).join(", ")}`);
    return String(blockOf(synth, query).query_string).split("\n");
  };

  it("GIVEN a folder WHEN synthesized THEN three query definitions are named <folder>/<query> and read the given log group", () => {
    expect(Object.keys(queries)).toEqual(QUERY_NAMES);
    expect(
      resourcesOf(synth.json, "aws_cloudwatch_query_definition")
        .map((query) => [query.name, query.log_group_names])
        .sort(),
    ).toEqual(QUERY_NAMES.map((name) => [`koaapp/${name}`, ["/ecs/koaapp/emf"]]).sort());
  });

  it.each(QUERY_NAMES)(
    "GIVEN query %p WHEN synthesized THEN its first line is a comment saying it is meaningful in request mode",
    (name) => {
      const [first] = linesOf(name);

      expect(first).toBe(
        `# Meaningful when the latency middleware runs with mode: "request" (one document per request). Aggregate documents carry no ${PROPERTIES.url} and are filtered out.`,
      );
    },
  );

  it.each(QUERY_NAMES)(
    "GIVEN query %p WHEN synthesized THEN every field it names beyond the comment is a name of the metric contract",
    (name) => {
      const fields = linesOf(name)
        .slice(1)
        .join("\n")
        .replace(/"[^"]*"/g, "")
        .match(/\b[A-Z][A-Za-z]*\b/g);

      expect(fields?.length).toBeGreaterThan(0);
      expect(fields?.filter((field) => !CONTRACT_FIELDS.has(field))).toEqual([]);
    },
  );

  it("GIVEN the slowest-requests query WHEN synthesized THEN it lists the 50 slowest request documents with their properties", () => {
    expect(linesOf("slowest-requests").slice(1)).toEqual([
      `fields @timestamp, ${LATENCY_METRIC.name}, ${PROPERTIES.method}, ${DIMENSIONS.path}, ${PROPERTIES.url}, ${PROPERTIES.statusCode}, ${PROPERTIES.requestId}`,
      `| filter ispresent(${PROPERTIES.url})`,
      `| sort ${LATENCY_METRIC.name} desc`,
      "| limit 50",
    ]);
  });

  it("GIVEN the errors-by-path query WHEN synthesized THEN it counts server-error request documents per Path, most first", () => {
    expect(linesOf("errors-by-path").slice(1)).toEqual([
      `filter ispresent(${PROPERTIES.url}) and ${DIMENSIONS.statusClass} = "${SERVER_ERROR_CLASS}"`,
      `| stats count(*) as errors by ${DIMENSIONS.path}`,
      "| sort errors desc",
    ]);
  });

  it("GIVEN the requests-by-status query WHEN synthesized THEN it counts request documents per status code, in code order", () => {
    expect(linesOf("requests-by-status").slice(1)).toEqual([
      `filter ispresent(${PROPERTIES.url})`,
      `| stats count(*) as requests by ${PROPERTIES.statusCode}`,
      `| sort ${PROPERTIES.statusCode} asc`,
    ]);
  });
});

describe("EmfQueryDefinitions on a created log group", () => {
  const synth = synthStack((stack) => {
    const logGroup = new CloudwatchLogGroup(stack, "EmfLogs", { name: "/ecs/koaapp/emf" });
    new EmfQueryDefinitions(stack, "Queries", { folder: "acme/koaapp", logGroupName: logGroup.name });
    return logGroup;
  });

  it("GIVEN the log group's name reference WHEN synthesized THEN every query reads the log group by reference, in the folder", () => {
    const logGroupRef = ref(synth.stack, synth.built, "name");

    expect(
      resourcesOf(synth.json, "aws_cloudwatch_query_definition")
        .map((query) => [query.name, query.log_group_names])
        .sort(),
    ).toEqual(QUERY_NAMES.map((name) => [`acme/koaapp/${name}`, [logGroupRef]]).sort());
    expect(logGroupRef).toBe("${aws_cloudwatch_log_group.EmfLogs.name}");
  });
});
