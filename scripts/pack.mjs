// npm run pack: builds the publishable packages from the repository's sources (build-packages.mjs) and
// writes their tarballs into artifacts/.
//
//   packages/constructs        -> artifacts/emf-fargate-constructs-<version>.tgz
//   packages/constructs-cdktn  -> artifacts/emf-fargate-constructs-cdktn-<version>.tgz
//   packages/koa-latency       -> artifacts/emf-fargate-koa-latency-<version>.tgz
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildPackages, ROOT } from "./build-packages.mjs";

const artifacts = join(ROOT, "artifacts");

mkdirSync(artifacts, { recursive: true });
for (const packageDir of buildPackages()) {
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", artifacts], {
      cwd: packageDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const { name, version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  process.stdout.write(
    `${name}@${version}: artifacts/${packed.filename} (${packed.entryCount} files, ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked)\n`,
  );
}
