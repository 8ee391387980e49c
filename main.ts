import { App } from "cdktf";
import { loadKoaAppConfig, readCdktfContext } from "./stacks/koaapp-config";
import { KoaAppRegistryStack } from "./stacks/koaapp-registry-stack";
import { KoaAppStack } from "./stacks/koaapp-stack";

const app = new App({ context: readCdktfContext() });
const config = loadKoaAppConfig((key) => app.node.tryGetContext(key));
// One stack, two phases: the first deploy creates the image repository alone (docs/first-deploy.md).
if (config.phase === "registry") new KoaAppRegistryStack(app, "koaapp", config);
else new KoaAppStack(app, "koaapp", config);
app.synth();
