/**
 * The construct library's one import of the CDK toolkit: every other file in modules/ takes these names from
 * here, so a toolkit with the same API under another name (CDK Terrain's `cdktn`) is one line to change.
 * Under an npm alias (`"cdktf": "npm:cdktn@0.24.0"`) nothing changes at all; test/consumers/cdktn.test.ts and
 * test/consumers/constructs.test.ts run the stack and the package that way.
 */
export {
  Annotations,
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
