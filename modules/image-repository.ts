import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Construct } from "constructs";
import { ARN, checkArn } from "./aws-rules";
import { type Checker, isKnown, keysOf, validateProps } from "./validation";

/** Props of {@link ImageRepository}. */
export interface ImageRepositoryProps {
  /** Name of the repository (lowercase, `/` between path parts), e.g. `orders` or `team/orders`. */
  readonly name: string;
  /** Customer-managed KMS key that encrypts the images. @default - AES-256 with an AWS-managed key */
  readonly kmsKeyArn?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

const KEYS = keysOf<ImageRepositoryProps>({ name: true, kmsKeyArn: true, tags: true });
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * A hardened ECR repository for a service's images: immutable tags (a tag always names the same build) and a scan
 * on every push. Give the service `repository.imageUri(tag)`.
 *
 * The repository must hold the image before the service's tasks start: in a stack that creates both, apply the
 * repository first (push, then apply the rest), or keep it in a stack of its own. The sample stack's
 * `KOAAPP_PHASE=registry` does exactly that.
 */
export class ImageRepository extends Construct {
  /** The repository. */
  readonly resource: EcrRepository;
  /** URL of the repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
  readonly repositoryUrl: string;
  /** ARN of the repository. */
  readonly repositoryArn: string;
  /** Name of the repository. */
  readonly repositoryName: string;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id);
    validateProps(this, (c: Checker) => {
      c.object(props, KEYS, "ImageRepositoryProps");
      if (c.at("name").required(props.name, "a repository name"))
        c.at("name").check(
          isKnown(props.name) &&
            (typeof props.name !== "string" ||
              !ECR_REPOSITORY.test(props.name) ||
              props.name.length < 2 ||
              props.name.length > 256),
          props.name,
          "is not an ECR repository name",
          "2-256 lowercase letters, digits and . _ - separators, with / between path parts",
        );
      checkArn(c.at("kmsKeyArn"), props.kmsKeyArn, ARN.kmsKey, "KMS key ARN");
    });
    this.resource = new EcrRepository(this, "Resource", {
      name: props.name,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: props.kmsKeyArn
        ? [{ encryptionType: "KMS", kmsKey: props.kmsKeyArn }]
        : [{ encryptionType: "AES256" }],
      tags: props.tags,
    });
    this.repositoryUrl = this.resource.repositoryUrl;
    this.repositoryArn = this.resource.arn;
    this.repositoryName = this.resource.name;
  }

  /** The URI of the image with `tag` in this repository; the tag is checked unless it is a token. */
  imageUri(tag: string): string {
    if (isKnown(tag) && (typeof tag !== "string" || !IMAGE_TAG.test(tag) || tag === "latest")) {
      throw new Error(
        `${this.node.path}: imageUri tag ${JSON.stringify(tag)} is not a pinned image tag; allowed: up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -, and not "latest"`,
      );
    }
    return `${this.repositoryUrl}:${tag}`;
  }
}
