import {
  DIMENSIONS,
  LATENCY_DIMENSION_SETS,
  LATENCY_METRIC,
  PROPERTIES,
  type StatusClass,
} from "../../contract/metrics";
import { LogSerializer, MetricsContext, StorageResolution } from "./emf-library";
import { latencyJson } from "./latency-json";
import type { ResolvedOptions } from "./options";
import { RouteKeyMap } from "./route-key-map";

/** EMF allows at most this many values per metric in one document. */
export const MAX_VALUES_PER_DOCUMENT = 100;

/** The library's names for the default dimensions it would add (opt-in here, see `defaultDimensions`). */
const DEFAULT_DIMENSION_NAMES = {
  serviceName: "ServiceName",
  serviceType: "ServiceType",
  logGroup: "LogGroup",
};

/** Caches hold one entry per Path × StatusClass (× Method); past this many (a misbehaving router) they reset. */
const MAX_CACHED = 10_000;

/** What every document carries besides its samples: the resolved options the documents read. */
export type DocumentSettings = Pick<
  ResolvedOptions,
  | "namespace"
  | "logGroupName"
  | "logStreamName"
  | "serviceName"
  | "serviceType"
  | "defaultDimensions"
  | "highResolution"
  | "maxDocumentBytes"
>;

/** The per-request fields of a request-mode document. */
export interface RequestFields {
  readonly method: string;
  readonly url: string;
  /** Absent for aborted requests. */
  readonly statusCode: number | undefined;
  readonly requestId: string | undefined;
}

/** One serialized document, the number of latency samples it carries and its size. */
export interface SerializedDocument {
  readonly line: string;
  readonly samples: number;
  /** UTF-8 bytes of `line`. */
  readonly bytes: number;
}

/** What the library writes between the properties and the timestamp. */
const AWS_HEAD = ',"_aws":{"Timestamp":';

/**
 * A document of one Method/StatusClass/Path cut around what varies: `head` + [request fields] + AWS_HEAD
 * + timestamp + `tail` + value(s) + `}`. Cut from the library's own output and used only after it
 * reproduced that output byte for byte for probe values.
 */
interface Template {
  /** `{` dimension values and `"Method":…`, as the library writes them. */
  readonly head: string;
  /** From after the timestamp to `"Latency":`: log group, stream and the metric directive. */
  readonly tail: string;
  /** UTF-8 bytes of everything but the request fields, timestamp and values. */
  readonly fixedBytes: number;
}

const STATUS_CODE_KEY = `,${JSON.stringify(PROPERTIES.statusCode)}:`;
const REQUEST_ID_KEY = `,${JSON.stringify(PROPERTIES.requestId)}:`;
const URL_KEY = `,${JSON.stringify(PROPERTIES.url)}:`;

function requestJson(fields: RequestFields): string {
  let json = URL_KEY + JSON.stringify(fields.url);
  if (fields.statusCode !== undefined) json += STATUS_CODE_KEY + fields.statusCode;
  if (fields.requestId !== undefined) json += REQUEST_ID_KEY + JSON.stringify(fields.requestId);
  return json;
}

function requestProperties(fields: RequestFields): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    [PROPERTIES.method]: fields.method,
    [PROPERTIES.url]: fields.url,
  };
  if (fields.statusCode !== undefined) properties[PROPERTIES.statusCode] = fields.statusCode;
  if (fields.requestId !== undefined) properties[PROPERTIES.requestId] = fields.requestId;
  return properties;
}

/**
 * Builds latency documents with aws-embedded-metrics' own model and serializer (`MetricsContext`,
 * `LogSerializer`): the library validates namespace, dimension values and the metric, and writes the
 * `_aws` metadata. Dimension sets come from the contract through `setDimensions`, so the library's
 * default dimensions join them only when `defaultDimensions` is set.
 *
 * Per Method/StatusClass/Path the library's output is cut into a template once and checked against
 * the library for probe values; documents are then filled in (~1 µs instead of ~10–60 µs each). A key
 * whose template does not reproduce the library's output is serialized by the library every time.
 */
export class EmfDocuments {
  private readonly serializer = new LogSerializer();
  private readonly contexts = new Map<string, MetricsContext>();
  /** Verified templates per mode and Method/StatusClass/Path; `null` where the check failed. */
  private readonly templates = {
    aggregate: new RouteKeyMap<Template | null>(),
    request: new RouteKeyMap<Template | null>(),
  };

  constructor(private readonly settings: DocumentSettings) {
    // Fails at setup, not per request, when the contract names a dimension this module cannot fill.
    this.context("/", "2xx");
    this.contexts.clear();
  }

  /**
   * Serializes `micros` (1–100 latency samples in whole microseconds; published as milliseconds) as one
   * aggregate document with Method as a property, or several when one would exceed `maxDocumentBytes`.
   * Throws the library's validation error for an invalid Path.
   */
  aggregate(
    path: string,
    method: string,
    statusClass: StatusClass,
    micros: readonly number[],
    timestampMs: number,
  ): SerializedDocument[] {
    const template = this.template("aggregate", path, method, statusClass);
    if (template === null) {
      const properties = { [PROPERTIES.method]: method };
      return this.split(micros, (part) => this.viaLibrary(path, statusClass, part, properties, timestampMs));
    }
    const prefix = `${template.head}${AWS_HEAD}${timestampMs}${template.tail}`;
    const fixed = template.fixedBytes + String(timestampMs).length;
    return this.split(micros, (part) => {
      const json = latencyJson(part);
      // Values are ASCII, so their JSON's length is its byte count.
      return { line: `${prefix}${json}}`, bytes: fixed + json.length };
    });
  }

  /**
   * Serializes one request-mode document (its sample in whole microseconds): the document the library
   * writes for the properties Method, Url, StatusCode and RequestId. Throws the library's validation
   * error for an invalid Path.
   */
  request(
    path: string,
    statusClass: StatusClass,
    micros: number,
    fields: RequestFields,
    timestampMs: number,
  ): SerializedDocument {
    const template = this.template("request", path, fields.method, statusClass);
    if (template === null) {
      return {
        ...this.viaLibrary(path, statusClass, [micros], requestProperties(fields), timestampMs),
        samples: 1,
      };
    }
    const value = latencyJson([micros]);
    const time = String(timestampMs);
    const fieldsJson = requestJson(fields);
    return {
      line: `${template.head}${fieldsJson}${AWS_HEAD}${time}${template.tail}${value}}`,
      samples: 1,
      bytes: template.fixedBytes + Buffer.byteLength(fieldsJson) + time.length + value.length,
    };
  }

  /** The library's serialization of one document (samples in whole microseconds), with its size. */
  viaLibrary(
    path: string,
    statusClass: StatusClass,
    micros: readonly number[],
    properties: Readonly<Record<string, unknown>>,
    timestampMs: number,
  ): { line: string; bytes: number } {
    const context = this.context(path, statusClass).createCopyWithContext();
    // The metric definition then carries "StorageResolution": 1 (the library omits it for Standard).
    const resolution = this.settings.highResolution ? StorageResolution.High : StorageResolution.Standard;
    context.putMetric(LATENCY_METRIC.name, (micros[0] as number) / 1000, LATENCY_METRIC.unit, resolution);
    // The first value went through the library's validation; the rest are finite numbers by construction.
    const metric = context.metrics.get(LATENCY_METRIC.name);
    for (let i = 1; i < micros.length; i++) metric?.addValue((micros[i] as number) / 1000);
    for (const key in properties) context.setProperty(key, properties[key]);
    context.setTimestamp(timestampMs);
    context.meta.LogGroupName = this.settings.logGroupName;
    if (this.settings.logStreamName) context.meta.LogStreamName = this.settings.logStreamName;
    const line = this.serializer.serialize(context)[0] as string;
    return { line, bytes: Buffer.byteLength(line) };
  }

  /** One document for `values`, or halves of them recursively while a document is over the limit. */
  private split(
    values: readonly number[],
    build: (part: readonly number[]) => { line: string; bytes: number },
  ): SerializedDocument[] {
    const { line, bytes } = build(values);
    // A single value over the limit is returned as is: the transport drops it, counted as oversized.
    if (bytes <= this.settings.maxDocumentBytes || values.length === 1)
      return [{ line, samples: values.length, bytes }];
    const half = Math.ceil(values.length / 2);
    return [...this.split(values.slice(0, half), build), ...this.split(values.slice(half), build)];
  }

  /** The verified template of a mode and key, cut and checked on first use. */
  private template(
    mode: "aggregate" | "request",
    path: string,
    method: string,
    statusClass: StatusClass,
  ): Template | null {
    const templates = this.templates[mode];
    let template = templates.get(path, method, statusClass);
    if (template === undefined) {
      template = this.cutTemplate(mode, path, method, statusClass);
      if (templates.size >= MAX_CACHED) templates.clear();
      templates.set(path, method, statusClass, template);
    }
    return template;
  }

  private cutTemplate(
    mode: "aggregate" | "request",
    path: string,
    method: string,
    statusClass: StatusClass,
  ): Template | null {
    // Probes use the real time: the library refuses timestamps over 14 days old.
    const probeTime = Date.now();
    const line = this.viaLibrary(path, statusClass, [1500], { [PROPERTIES.method]: method }, probeTime).line;
    const at = line.indexOf(`${AWS_HEAD}${probeTime}`);
    if (at === -1 || !line.endsWith(`${JSON.stringify(LATENCY_METRIC.name)}:1.5}`)) return null;
    const head = line.slice(0, at);
    const tail = line.slice(at + AWS_HEAD.length + String(probeTime).length, line.length - "1.5}".length);
    const template: Template = {
      head,
      tail,
      fixedBytes: Buffer.byteLength(head) + AWS_HEAD.length + Buffer.byteLength(tail) + 1,
    };
    const now = probeTime + 1;
    const methodProperty = { [PROPERTIES.method]: method };
    const probes: boolean[] =
      mode === "aggregate"
        ? [[2250], [1000, 2500, 1_000_125]].map(
            (micros) =>
              this.viaLibrary(path, statusClass, micros, methodProperty, now).line ===
              `${head}${AWS_HEAD}${now}${tail}${latencyJson(micros)}}`,
          )
        : [
            { method, url: '/probe/"quoted"\u2028', statusCode: 200, requestId: "probe-id" },
            { method, url: "/probe", statusCode: undefined, requestId: undefined },
          ].map(
            (fields) =>
              this.viaLibrary(path, statusClass, [2250], requestProperties(fields), now).line ===
              `${head}${requestJson(fields)}${AWS_HEAD}${now}${tail}2.25}`,
          );
    return probes.every(Boolean) ? template : null;
  }

  /** A validated context holding namespace and dimensions for one Path and StatusClass. */
  private context(path: string, statusClass: StatusClass): MetricsContext {
    const key = `${statusClass} ${path}`;
    const cached = this.contexts.get(key);
    if (cached) return cached;
    const values: Record<string, string> = { [DIMENSIONS.path]: path, [DIMENSIONS.statusClass]: statusClass };
    const sets = LATENCY_DIMENSION_SETS.map((names) => {
      const set: Record<string, string> = {};
      for (const name of names) {
        const value = values[name];
        if (value === undefined)
          throw new Error(`latencyMetrics: contract dimension ${name} has no value source`);
        set[name] = value;
      }
      return set;
    });
    const context = MetricsContext.empty();
    context.setNamespace(this.settings.namespace);
    if (this.settings.defaultDimensions) {
      context.setDefaultDimensions({
        [DEFAULT_DIMENSION_NAMES.serviceName]: this.settings.serviceName,
        [DEFAULT_DIMENSION_NAMES.serviceType]: this.settings.serviceType,
        [DEFAULT_DIMENSION_NAMES.logGroup]: this.settings.logGroupName,
      });
    }
    context.setDimensions(sets, this.settings.defaultDimensions);
    if (this.contexts.size >= MAX_CACHED) this.contexts.clear();
    this.contexts.set(key, context);
    return context;
  }
}
