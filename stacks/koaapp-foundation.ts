/**
 * What both phases of the koaapp stack share, so the registry phase and the service phase write the same provider
 * requirement, the same backend and the repository at the same Terraform address: the second deploy then creates
 * the rest and leaves the repository as the first one created it.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import { ImageRepository } from "../modules";
import type { KoaAppConfig } from "./koaapp-config";

/** The tags of every resource of the stack. */
export function koaAppTags(config: KoaAppConfig): Record<string, string> {
  return { Project: config.serviceName, Environment: config.environmentName, ManagedBy: "cdktf" };
}

/** The provider requirement and the backend of a koaapp stack named `id`. */
export function configureTerraform(stack: TerraformStack, id: string, config: KoaAppConfig): void {
  // The provider construct pins hashicorp/aws in required_providers; its block is then removed: as a
  // root module the provider comes from the environment (AWS_REGION, profile), as a child module from
  // the caller's `providers`, which Terraform refuses for a module with a provider block of its own.
  new AwsProvider(stack, "aws", {});
  stack.addOverride("provider", undefined);
  if (config.backend.type === "s3") {
    const backend = new S3Backend(stack, {
      bucket: config.backend.bucket,
      key: config.backend.key,
      region: config.backend.region,
      encrypt: true,
    });
    backend.addOverride("use_lockfile", true);
  } else if (config.backend.type === "local") {
    // Relative to cdktf.out/stacks/<stack>, where cdktf and pipelines run terraform: the state lands
    // in the project root, survives re-synthesis, and no machine's absolute path is written.
    new LocalBackend(stack, { path: `../../../terraform.${id}.tfstate` });
  } else {
    // cdktf adds a local backend when none is declared; a stack used only as a child module needs none.
    stack.addOverride("terraform.backend", undefined);
  }
}

/** The ECR repository of the service's image, unless the configuration runs an image from elsewhere. */
export function koaAppRepository(stack: TerraformStack, config: KoaAppConfig): ImageRepository | undefined {
  return config.imageUri
    ? undefined
    : new ImageRepository(stack, "Repository", {
        name: config.serviceName.toLowerCase(),
        tags: koaAppTags(config),
      });
}
