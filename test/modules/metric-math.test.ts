import {
  DIMENSIONS,
  LATENCY_DIMENSION_SETS,
  LATENCY_METRIC,
  SERVER_ERROR_CLASS,
} from "../../contract/metrics";
import {
  errorRateExpression,
  routeLatency,
  searchByDimension,
  serverErrorLatency,
  serviceLatency,
} from "../../modules/metric-math";

describe("latency metrics of the contract", () => {
  it("GIVEN a namespace WHEN serviceLatency is built THEN it has the contract's empty (service-wide) dimension set", () => {
    const metric = serviceLatency("koaapp");

    expect(metric).toEqual({ namespace: "koaapp", dimensions: {} });
    expect(LATENCY_DIMENSION_SETS).toContainEqual(Object.keys(metric.dimensions));
  });

  it("GIVEN a namespace WHEN serverErrorLatency is built THEN its only dimension is the contract's StatusClass set to the server-error class", () => {
    const metric = serverErrorLatency("koaapp");

    expect(metric).toEqual({
      namespace: "koaapp",
      dimensions: { [DIMENSIONS.statusClass]: SERVER_ERROR_CLASS },
    });
    expect(LATENCY_DIMENSION_SETS).toContainEqual(Object.keys(metric.dimensions));
  });

  it("GIVEN a route template WHEN routeLatency is built THEN its only dimension is the contract's Path set to the template as given", () => {
    const metric = routeLatency("koaapp", "/items/:id");

    expect(metric).toEqual({ namespace: "koaapp", dimensions: { [DIMENSIONS.path]: "/items/:id" } });
    expect(LATENCY_DIMENSION_SETS).toContainEqual(Object.keys(metric.dimensions));
  });
});

describe("errorRateExpression", () => {
  it("GIVEN the ids and a minimum WHEN built THEN it is 100 × errors (missing read as 0) / requests, 0 below the minimum", () => {
    expect(errorRateExpression("errors", "requests", 10)).toBe(
      "IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)",
    );
  });

  it("GIVEN other ids and minimum WHEN built THEN each lands in its place", () => {
    expect(errorRateExpression("e1", "r1", 1)).toBe("IF(r1 >= 1, 100 * FILL(e1, 0) / r1, 0)");
  });
});

describe("searchByDimension", () => {
  it("GIVEN a namespace, dimension, statistic and period WHEN built THEN it searches the contract's latency metric with exactly that dimension set", () => {
    expect(searchByDimension("koaapp", DIMENSIONS.path, "p99", 60)).toBe(
      `SEARCH('{"koaapp",${DIMENSIONS.path}} MetricName="${LATENCY_METRIC.name}"', 'p99', 60)`,
    );
  });

  it.each(["acme/koaapp", "acme koaapp", "acme/koa app:prod"])(
    "GIVEN namespace %p WHEN built THEN the whole namespace stays inside the double quotes of the schema",
    (namespace) => {
      const expression = searchByDimension(namespace, DIMENSIONS.statusClass, "SampleCount", 300);
      const schema = /^SEARCH\('\{"([^"]*)",([^}]*)\} MetricName="([^"]*)"', '([^']*)', (\d+)\)$/.exec(
        expression,
      );

      expect(schema?.slice(1)).toEqual([
        namespace,
        DIMENSIONS.statusClass,
        LATENCY_METRIC.name,
        "SampleCount",
        "300",
      ]);
    },
  );
});
