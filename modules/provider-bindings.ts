import type { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { show } from "../contract/problems";
import type { TerraformResource } from "./cdktf";

/**
 * What the constructs need to decide per major version of the hashicorp/aws provider their bindings were
 * generated for. The package is compiled against `@cdktf/provider-aws` 20.1 (hashicorp/aws 5.100.0) but runs
 * on whatever bindings the user installed: 20.x (aws 5.x), 21.x (aws 6.x) or, in @emf-fargate/constructs-cdktn,
 * `@cdktn/provider-aws` 25.x (aws 6.x). Every generated resource, data source and provider class passes
 * `terraformGeneratorMetadata` ({ providerName, providerVersion, providerVersionConstraint }) to the toolkit,
 * which keeps it on the instance and writes `providerVersion` into `required_providers`; so an instance says
 * which provider it binds, and the same compiled code can read the attribute each major documents.
 */

/**
 * An element of generated provider bindings: an instance of a resource, data source or provider class of
 * `@cdktf/provider-aws` or `@cdktn/provider-aws` (any version: only these two members are read).
 */
export type ProviderBindingElement = Pick<TerraformResource, "node" | "terraformGeneratorMetadata">;

/**
 * The hashicorp/aws version the bindings of `element` were generated for, e.g. `"5.100.0"` for
 * `@cdktf/provider-aws` 20.1.0, `"6.25.0"` for 21.22.1: the version the toolkit pins in `required_providers`.
 * Throws when `element` is not an element of hashicorp/aws bindings.
 */
export function awsProviderVersion(element: ProviderBindingElement): string {
  const metadata = element.terraformGeneratorMetadata;
  const version = metadata?.providerName === "aws" ? metadata.providerVersion : undefined;
  if (version === undefined || !/^\d+\.\d+\.\d+/.test(version)) {
    throw new Error(
      `${element.node.path}: terraformGeneratorMetadata ${show(metadata)} names no hashicorp/aws version; allowed: an instance of a resource, data source or provider class of @cdktf/provider-aws or @cdktn/provider-aws (providerName "aws", providerVersion like "5.100.0")`,
    );
  }
  return version;
}

/** The major version of hashicorp/aws the bindings of `element` were generated for: 5 or 6 today. */
export function awsProviderMajor(element: ProviderBindingElement): number {
  return Number(awsProviderVersion(element).split(".")[0]);
}

/**
 * A token for the name of the region `region` reads (e.g. `"eu-west-1"` at apply time): the `name` attribute
 * on bindings for hashicorp/aws 5.x, the `region` attribute on 6.x, where `name` is deprecated and every read
 * of it is a warning in each plan ("Data Source `aws_region`: `name` has been deprecated. Use `region`
 * instead.", hashicorp/terraform-provider-aws website/docs/guides/version-6-upgrade.html.markdown at
 * 367e03732ee46fcd3c657359945e593484f1a3bf; website/docs/d/region.html.markdown at
 * 076f8c080e707d41aa9bda6e0b43d309a40e44a5). 5.x has no `region` attribute, so neither one works on both.
 * The type is the 20.1 bindings' class, which has no `region` getter: the generic attribute getter reads it.
 */
export function regionNameOf(region: DataAwsRegion): string {
  return awsProviderMajor(region) >= 6 ? region.getStringAttribute("region") : region.name;
}
