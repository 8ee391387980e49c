import { CloudwatchQueryDefinition } from "@cdktf/provider-aws/lib/cloudwatch-query-definition";
import { Construct } from "constructs";
import {
  DIMENSIONS,
  LATENCY_METRIC,
  type MetricsMode,
  PROPERTIES,
  SERVER_ERROR_CLASS,
} from "../contract/metrics";

/** Props of {@link EmfQueryDefinitions}. */
export interface EmfQueryDefinitionsProps {
  /** Folder of the saved queries in the console, usually the service name. */
  readonly folder: string;
  /** The EMF log group the queries read. */
  readonly logGroupName: string;
}

/** The latency middleware's per-request mode, whose documents carry the request properties the queries read. */
const REQUEST_MODE: MetricsMode = "request";

// The middleware's own option: no AWS_EMF_* variable sets the mode (the sample app maps its METRICS_MODE onto it,
// another app may not have that variable at all).
const REQUEST_MODE_NOTE = `# Meaningful when the latency middleware runs with mode: "${REQUEST_MODE}" (one document per request). Aggregate documents carry no ${PROPERTIES.url} and are filtered out.`;

/**
 * Saved Logs Insights queries on the EMF log group: slowest requests, server errors by `Path`, and
 * request count by status code. They read per-request documents, so they are meaningful when the latency
 * middleware runs with `mode: "request"`; each query says so in its first line.
 */
export class EmfQueryDefinitions extends Construct {
  /** The query definitions, by short name. */
  readonly queries: Readonly<Record<string, CloudwatchQueryDefinition>>;

  constructor(scope: Construct, id: string, props: EmfQueryDefinitionsProps) {
    super(scope, id);
    const { path, statusClass } = DIMENSIONS;
    const { method, url, statusCode, requestId } = PROPERTIES;
    const latency = LATENCY_METRIC.name;
    const requestDocuments = `filter ispresent(${url})`;
    const define = (name: string, lines: string[]) =>
      new CloudwatchQueryDefinition(this, name, {
        name: `${props.folder}/${name}`,
        logGroupNames: [props.logGroupName],
        queryString: [REQUEST_MODE_NOTE, ...lines].join("\n"),
      });
    this.queries = {
      "slowest-requests": define("slowest-requests", [
        `fields @timestamp, ${latency}, ${method}, ${path}, ${url}, ${statusCode}, ${requestId}`,
        `| ${requestDocuments}`,
        `| sort ${latency} desc`,
        "| limit 50",
      ]),
      "errors-by-path": define("errors-by-path", [
        `${requestDocuments} and ${statusClass} = "${SERVER_ERROR_CLASS}"`,
        `| stats count(*) as errors by ${path}`,
        "| sort errors desc",
      ]),
      "requests-by-status": define("requests-by-status", [
        requestDocuments,
        `| stats count(*) as requests by ${statusCode}`,
        `| sort ${statusCode} asc`,
      ]),
    };
  }
}
