import { EMF_VARIABLES } from "../../contract/metrics";
import type { Source } from "../../contract/parsers";
import type { LatencyMetricsOptions } from "./options";

/** The options the environment can set. */
export type EnvironmentOption = keyof typeof EMF_VARIABLES;

/**
 * aws-embedded-metrics falls back to these unprefixed variables for the service name and type
 * (`EnvironmentConfigurationProvider`), so the middleware does too.
 */
const UNPREFIXED: Partial<Record<EnvironmentOption, string>> = {
  serviceName: "SERVICE_NAME",
  serviceType: "SERVICE_TYPE",
};

/** The variables an option is read from, in the order aws-embedded-metrics prefers them. */
function variablesOf(option: string): string[] {
  if (!Object.hasOwn(EMF_VARIABLES, option)) return [];
  const name = option as EnvironmentOption;
  return [EMF_VARIABLES[name], UNPREFIXED[name]].filter(
    (variable): variable is string => variable !== undefined,
  );
}

/** Every variable the middleware reads, in the order it prefers them. */
export const EMF_ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(EMF_VARIABLES).flatMap(variablesOf);

/**
 * The middleware's options as a parser source: an option given explicitly (not `undefined` or `null`) wins,
 * as a typed value named by the option (`bufferSize`); else, for the options aws-embedded-metrics'
 * `Configuration` reads from `AWS_EMF_*` variables (and `highResolution`, from this project's
 * `AWS_EMF_LATENCY_HIGH_RESOLUTION`), the first of those variables that is set, as text named
 * by option and variable (`endpoint (AWS_EMF_AGENT_ENDPOINT)`). An empty variable counts as unset (ECS
 * passes `""` for a value left blank), so an empty `AWS_EMF_LOG_GROUP_NAME` never produces documents the
 * agent would drop.
 *
 * @param options - the options given to the middleware
 * @param env - the environment variables to read
 */
export function optionsSource(
  options: LatencyMetricsOptions,
  env: Readonly<Record<string, string | undefined>>,
): Source<keyof LatencyMetricsOptions> {
  return (option) => {
    const given = options[option];
    // `null` counts as not given, as `??` treats it for the options the environment cannot set.
    if (given !== undefined && given !== null) return { value: given, name: option, fromText: false };
    for (const variable of variablesOf(option)) {
      const value = env[variable];
      if (value !== undefined && value !== "") return { value, name: `${option} (${variable})` };
    }
    return undefined;
  };
}
