import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { ImageRepository } from "../modules";
import type { KoaAppConfig } from "./koaapp-config";
import { configureTerraform, koaAppRepository } from "./koaapp-foundation";

/**
 * The first deploy of the koaapp stack (`KOAAPP_PHASE=registry`): only its ECR repository, under the same stack
 * name, backend and address the full stack keeps it at. A service created beside an empty repository cannot pull
 * its image, its circuit breaker has nothing to roll back to, and the apply waits out its timeout; so the pipeline
 * applies this first, pushes the image, then applies the full stack, which creates everything else and leaves the
 * repository as it is.
 */
export class KoaAppRegistryStack extends TerraformStack {
  /** The repository. */
  readonly repository: ImageRepository;

  constructor(scope: Construct, id: string, config: KoaAppConfig) {
    super(scope, id);
    configureTerraform(this, id, config);
    const repository = koaAppRepository(this, config);
    if (!repository)
      throw new Error(
        `${id}: the registry phase needs a repository; the configuration refuses imageUri with it`,
      );
    this.repository = repository;
    new TerraformOutput(this, "ecr_repository_url", { value: repository.repositoryUrl });
  }
}
