import { App } from "cdktf";
import { loadKoaAppConfig, readCdktfContext } from "./stacks/koaapp-config";
import { KoaAppStack } from "./stacks/koaapp-stack";

const app = new App({ context: readCdktfContext() });
new KoaAppStack(
  app,
  "koaapp",
  loadKoaAppConfig((key) => app.node.tryGetContext(key)),
);
app.synth();
