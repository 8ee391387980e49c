/**
 * The construct library's one import of the CDK toolkit: every other file in modules/ takes these names from
 * here. `npm run pack` builds @emf-fargate/constructs-cdktn from the compiled output by renaming this
 * import to `cdktn` (CDK Terrain, the same API) and `@cdktf/provider-aws/lib/...` to `@cdktn/provider-aws/lib/...`
 * (scripts/toolkit-specifiers.ts); test/consumers/constructs.test.ts runs both packages.
 */
export {
  Annotations,
  dependable,
  Fn,
  type IAspect,
  type ITerraformDependable,
  Op,
  TerraformElement,
  TerraformLocal,
  type TerraformResource,
  type TerraformResourceLifecycle,
  TerraformSelf,
  TerraformStack,
  Token,
} from "cdktf";
