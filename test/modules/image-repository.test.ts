import { Aspects, TerraformVariable, Testing } from "cdktf";
import { ImageRepository, type ImageRepositoryProps } from "../../modules/image-repository";
import { SecurityPolicyChecks } from "../../modules/security-policy";
import { blockOf, newStack, problemLine, ref, resolved, synthStack } from "./support";

const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TAG_RULE = 'allowed: up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -, and not "latest"';

function build(props: ImageRepositoryProps): ImageRepository {
  return new ImageRepository(newStack(), "Repository", props);
}

describe("ImageRepository with defaults", () => {
  const synth = synthStack((stack) => new ImageRepository(stack, "Repository", { name: "koaapp" }));
  const repository = synth.built;

  it("GIVEN a name WHEN synthesized THEN a repository with immutable tags, a scan on every push and AES-256 encryption", () => {
    expect(blockOf(synth, repository.resource)).toEqual({
      name: "koaapp",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "AES256" }],
    });
  });

  it("GIVEN the repository WHEN read THEN URL, ARN and name are its references", () => {
    expect(resolved(synth.stack, repository.repositoryUrl)).toBe(
      ref(synth.stack, repository.resource, "repository_url"),
    );
    expect(resolved(synth.stack, repository.repositoryArn)).toBe(
      ref(synth.stack, repository.resource, "arn"),
    );
    expect(resolved(synth.stack, repository.repositoryName)).toBe(
      ref(synth.stack, repository.resource, "name"),
    );
  });

  it("GIVEN the repository under SecurityPolicyChecks WHEN synthesized THEN the ECR hardening rule finds nothing", () => {
    const stack = newStack();
    const checks = new SecurityPolicyChecks();
    Aspects.of(stack).add(checks);
    new ImageRepository(stack, "Repository", { name: "koaapp" });
    Testing.synth(stack);

    expect(checks.findings).toEqual([]);
  });
});

describe("ImageRepository with a KMS key and tags", () => {
  it("GIVEN a key WHEN synthesized THEN the images are encrypted with it and the repository is tagged", () => {
    const synth = synthStack(
      (stack) =>
        new ImageRepository(stack, "Repository", {
          name: "team/koaapp",
          kmsKeyArn: KMS_KEY,
          tags: { Team: "platform" },
        }),
    );

    expect(blockOf(synth, synth.built.resource)).toMatchObject({
      name: "team/koaapp",
      encryption_configuration: [{ encryption_type: "KMS", kms_key: KMS_KEY }],
      tags: { Team: "platform" },
    });
  });
});

describe("ImageRepository.imageUri", () => {
  const synth = synthStack((stack) => {
    const tag = new TerraformVariable(stack, "image_tag", { type: "string" });
    const repository = new ImageRepository(stack, "Repository", { name: "koaapp" });
    return { repository, tag };
  });
  const { repository, tag } = synth.built;
  const url = ref(synth.stack, repository.resource, "repository_url");

  it.each(["1.2.3", "v1", "build_42", "2024.06.01-rc.1", "a".repeat(128)])(
    "GIVEN the pinned tag %p WHEN asked THEN the URI is the repository URL and the tag",
    (pinned) => {
      expect(resolved(synth.stack, repository.imageUri(pinned))).toBe(`${url}:${pinned}`);
    },
  );

  it("GIVEN a tag from a variable WHEN asked THEN it is not judged and the URI references it", () => {
    expect(resolved(synth.stack, repository.imageUri(tag.stringValue))).toBe(`${url}:\${var.image_tag}`);
  });

  it.each(["latest", "", ".hidden", "-rc", "1.2 3", "1.2.3:x", "a".repeat(129)])(
    "GIVEN the tag %p WHEN asked THEN it is refused as no pinned image tag",
    (bad) => {
      expect(() => repository.imageUri(bad)).toThrow(
        new Error(
          `test/Repository: imageUri tag ${JSON.stringify(bad)} is not a pinned image tag; ${TAG_RULE}`,
        ),
      );
    },
  );
});

describe("ImageRepository validation", () => {
  it.each(["koaapp", "team/koaapp", "a.b_c-d", "ab", "x".repeat(256)])(
    "GIVEN the name %p WHEN built THEN it is accepted",
    (name) => {
      expect(build({ name }).resource.nameInput).toBe(name);
    },
  );

  it.each(["KoaApp", "koa app", "/koaapp", "koaapp/", "team//koaapp", "koa--app-", "a", "x".repeat(257)])(
    "GIVEN the name %p WHEN built THEN it is refused with the ECR rule",
    (name) => {
      expect(() => build({ name })).toThrow(
        problemLine(
          `name ${JSON.stringify(name)} is not an ECR repository name; allowed: 2-256 lowercase letters, digits and . _ - separators, with / between path parts`,
        ),
      );
    },
  );

  it("GIVEN no name, a key that is no ARN and a misspelt prop WHEN built THEN one error lists them all", () => {
    const props = { kmsKeyArn: "alias/koaapp", tag: { Team: "x" } } as unknown as ImageRepositoryProps;

    expect(() => build(props)).toThrow(
      new Error(
        [
          "test/Repository: invalid props:",
          '- tag {"Team":"x"} is not a prop of ImageRepositoryProps (did you mean tags?); allowed: name, kmsKeyArn, tags',
          "- name undefined is required; allowed: a repository name",
          '- kmsKeyArn "alias/koaapp" is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<id> or arn:aws:kms:<region>:<account>:alias/<name>',
        ].join("\n"),
      ),
    );
  });

  it("GIVEN a name and a key from variables WHEN synthesized THEN they are not judged", () => {
    const synth = synthStack((stack) => {
      const text = (id: string) => new TerraformVariable(stack, id, { type: "string" }).stringValue;
      return new ImageRepository(stack, "Repository", { name: text("name"), kmsKeyArn: text("key") });
    });

    expect(blockOf(synth, synth.built.resource)).toMatchObject({
      name: "${var.name}",
      encryption_configuration: [{ encryption_type: "KMS", kms_key: "${var.key}" }],
    });
  });
});
