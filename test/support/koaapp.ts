import { type App, Testing } from "cdktf";
import { loadKoaAppConfig } from "../../stacks/koaapp-config";
import { KoaAppStack } from "../../stacks/koaapp-stack";

/** The sample koaapp stack in a test app, configured from `env` alone (no cdktf.json context, not `process.env`). */
export function koaAppStack(env: NodeJS.ProcessEnv = {}): KoaAppStack {
  return new KoaAppStack(
    Testing.app() as App,
    "koaapp",
    loadKoaAppConfig(() => undefined, env),
  );
}

/** The koaapp stack's cdk.tf.json, synthesized and parsed. */
export function synthKoaApp(env: NodeJS.ProcessEnv = {}): Record<string, any> {
  return JSON.parse(Testing.synth(koaAppStack(env)));
}
