import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformResource, Testing } from "cdktf";
import type { Construct } from "constructs";
import { awsProviderMajor, awsProviderVersion, regionNameOf } from "../../modules/provider-bindings";
import { newStack, ref, resolved } from "./support";

/**
 * The 20.1 bindings' DataAwsRegion as the 21.x bindings construct it. This repository installs only 20.1, so
 * the 6.x case is simulated: @cdktf/provider-aws 21.22.1's lib/data-aws-region/index.js passes
 * { providerName: "aws", providerVersion: "6.25.0", providerVersionConstraint: "~> 6.0" } where 20.1.0 passes
 * "5.100.0" and "~> 5.0", and adds a `region` getter, which regionNameOf does not use. The real 21.x and
 * @cdktn/provider-aws 25.x classes run in test/consumers/constructs.test.ts.
 */
class DataAwsRegionOn6x extends DataAwsRegion {
  override readonly terraformGeneratorMetadata = {
    providerName: "aws",
    providerVersion: "6.25.0",
    providerVersionConstraint: "~> 6.0",
  };
}

/** A resource of another provider, as its generated class would construct it. */
function randomPet(scope: Construct): TerraformResource {
  return new TerraformResource(scope, "Pet", {
    terraformResourceType: "random_pet",
    terraformGeneratorMetadata: { providerName: "random", providerVersion: "3.7.2" },
  });
}

describe("awsProviderVersion and awsProviderMajor", () => {
  it("GIVEN elements of the installed @cdktf/provider-aws 20.1.0 WHEN read THEN each says hashicorp/aws 5.100.0, major 5", () => {
    const stack = newStack();
    const elements = [
      new DataAwsRegion(stack, "Region"),
      new EcsCluster(stack, "Cluster", { name: "c" }),
      stack.node.findChild("aws") as AwsProvider,
    ];
    expect(elements.map(awsProviderVersion)).toEqual(["5.100.0", "5.100.0", "5.100.0"]);
    expect(elements.map(awsProviderMajor)).toEqual([5, 5, 5]);
  });

  it("GIVEN the stack synthesized WHEN its required_providers are read THEN they pin the version awsProviderVersion names", () => {
    const stack = newStack();
    const region = new DataAwsRegion(stack, "Region");
    const json = JSON.parse(Testing.synth(stack));
    expect(json.terraform.required_providers.aws.version).toBe(awsProviderVersion(region));
  });

  it("GIVEN 6.x metadata (simulated, see DataAwsRegionOn6x) WHEN read THEN the version is 6.25.0, major 6", () => {
    const region = new DataAwsRegionOn6x(newStack(), "Region");
    expect(awsProviderVersion(region)).toBe("6.25.0");
    expect(awsProviderMajor(region)).toBe(6);
  });

  it("GIVEN an element with no generator metadata WHEN read THEN it throws naming the element, the value and what is allowed", () => {
    const stack = newStack();
    const plain = new TerraformResource(stack, "Plain", { terraformResourceType: "null_resource" });
    expect(() => awsProviderVersion(plain)).toThrow(
      'test/Plain: terraformGeneratorMetadata undefined names no hashicorp/aws version; allowed: an instance of a resource, data source or provider class of @cdktf/provider-aws or @cdktn/provider-aws (providerName "aws", providerVersion like "5.100.0")',
    );
  });

  it("GIVEN an element of another provider's bindings WHEN read THEN it throws with that provider's metadata", () => {
    const pet = randomPet(newStack());
    expect(() => awsProviderMajor(pet)).toThrow(
      'test/Pet: terraformGeneratorMetadata {"providerName":"random","providerVersion":"3.7.2"} names no hashicorp/aws version',
    );
  });
});

describe("regionNameOf", () => {
  it("GIVEN the 20.1 bindings (hashicorp/aws 5.100.0) WHEN used THEN it reads data.aws_region's name, the only one 5.x has", () => {
    const stack = newStack();
    const region = new DataAwsRegion(stack, "Region");
    new TerraformOutput(stack, "RegionName", { value: regionNameOf(region) });
    expect(resolved(stack, regionNameOf(region))).toBe(ref(stack, region, "name"));
    expect(JSON.parse(Testing.synth(stack)).output.RegionName.value).toBe(ref(stack, region, "name"));
  });

  it("GIVEN 6.x bindings (simulated) WHEN used THEN it reads data.aws_region's region, never the deprecated name", () => {
    const stack = newStack();
    const region = new DataAwsRegionOn6x(stack, "Region");
    new TerraformOutput(stack, "RegionName", { value: regionNameOf(region) });
    const json = Testing.synth(stack);
    expect(resolved(stack, regionNameOf(region))).toBe(ref(stack, region, "region"));
    expect(JSON.parse(json).output.RegionName.value).toBe(ref(stack, region, "region"));
    expect(json).not.toMatch(/data\.aws_region\.[^.]+\.name\b/);
  });
});
