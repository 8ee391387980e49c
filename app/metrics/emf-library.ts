/**
 * Everything this module takes from aws-embedded-metrics beyond its public exports, in one place.
 *
 * The package's entry point exports `createMetricsLogger`, `metricScope`, the sinks and `Configuration`,
 * but not the metric model and serializer the middleware builds its documents with, nor the library's
 * default namespace. These deep imports follow the package's `lib/` layout, which a release may change
 * without notice: test/app/metrics/emf-library.test.ts fails, naming the path, when an upgrade moves one.
 */
import { Constants } from "aws-embedded-metrics/lib/Constants";
import { MetricsContext } from "aws-embedded-metrics/lib/logger/MetricsContext";
// Also a public export, but the entry point loads the library's environment detection, after which Node stays
// up for about a second (`node -e 'require("aws-embedded-metrics")'` exits after 1.1 s, this module after 0.2 s).
import { StorageResolution } from "aws-embedded-metrics/lib/logger/StorageResolution";
import { LogSerializer } from "aws-embedded-metrics/lib/serializers/LogSerializer";

/** The deep import paths above, for the test that checks they still resolve. */
export const DEEP_IMPORTS = [
  "aws-embedded-metrics/lib/Constants",
  "aws-embedded-metrics/lib/logger/MetricsContext",
  "aws-embedded-metrics/lib/logger/StorageResolution",
  "aws-embedded-metrics/lib/serializers/LogSerializer",
] as const;

/** The namespace aws-embedded-metrics uses when none is configured: `aws-embedded-metrics`. */
export const LIBRARY_DEFAULT_NAMESPACE: string = Constants.DEFAULT_NAMESPACE;

/** `StorageResolution.High` (1) makes the serializer write `"StorageResolution": 1`; `Standard` (60) writes nothing. */
export { LogSerializer, MetricsContext, StorageResolution };
