import { EMF_VARIABLES } from "../../contract/metrics";
import type { LatencyMetricsOptions } from "./options";

/** The options the environment can set. */
export type EnvironmentOption = keyof typeof EMF_VARIABLES;

/** Option values read from the environment, and the variable each came from (for messages). */
export interface FromEnvironment {
  readonly options: Pick<LatencyMetricsOptions, EnvironmentOption>;
  readonly sources: Readonly<Partial<Record<EnvironmentOption, string>>>;
}

/**
 * aws-embedded-metrics falls back to these unprefixed variables for the service name and type
 * (`EnvironmentConfigurationProvider`), so the middleware does too.
 */
const UNPREFIXED: Partial<Record<EnvironmentOption, string>> = {
  serviceName: "SERVICE_NAME",
  serviceType: "SERVICE_TYPE",
};

/** Every variable the middleware reads, in the order it prefers them. */
export const EMF_ENVIRONMENT_VARIABLES: readonly string[] = (
  Object.keys(EMF_VARIABLES) as EnvironmentOption[]
).flatMap((option) =>
  [EMF_VARIABLES[option], UNPREFIXED[option]].filter((name): name is string => name !== undefined),
);

/**
 * Reads the options aws-embedded-metrics' `Configuration` reads from `AWS_EMF_*` variables. An empty
 * variable counts as unset (ECS passes `""` for a value left blank), so an empty `AWS_EMF_LOG_GROUP_NAME`
 * never produces documents the agent would drop. Values are not checked here: the caller validates them
 * with the options, naming the variable.
 */
export function optionsFromEnvironment(env: Readonly<Record<string, string | undefined>>): FromEnvironment {
  const options: Record<string, string> = {};
  const sources: Partial<Record<EnvironmentOption, string>> = {};
  for (const option of Object.keys(EMF_VARIABLES) as EnvironmentOption[]) {
    for (const variable of [EMF_VARIABLES[option], UNPREFIXED[option]]) {
      const value = variable === undefined ? undefined : env[variable];
      if (variable !== undefined && value !== undefined && value !== "") {
        options[option] = value;
        sources[option] = variable;
        break;
      }
    }
  }
  return { options: options as FromEnvironment["options"], sources };
}
