/**
 * A local stand-in for the official Node.js base image, for machines that can reach the npm registry
 * but no container registry.
 *
 * It is a `FROM scratch` image assembled from:
 * - the real Node.js binary of the Dockerfile's version (the `node-linux-<arch>` npm package, which
 *   ships it at package/bin/node) at /usr/local/bin/node;
 * - npm (the `npm` package, the version running these tests) at /usr/local/lib/node_modules/npm with
 *   the official image's npm/npx symlinks;
 * - the shared libraries `ldd` lists for that binary, copied from this (Debian) host;
 * - a static busybox (Debian's busybox-static) for /bin/sh, /usr/bin/env and the usual commands: npm
 *   runs scripts through sh, npm and tsc start through `#!/usr/bin/env node`, Dockerfiles use `rm`;
 * - what the official image has around them: a `node` user and group with id 1000, /home/node owned by
 *   it, /tmp with mode 1777, `docker-entrypoint.sh` as the entrypoint and `node` as the command;
 * - when this process has NODE_EXTRA_CA_CERTS, that bundle (so npm inside a build trusts what npm on
 *   the host trusts, e.g. behind a TLS-inspecting proxy), with the same variable pointing to it.
 *
 * Nothing is pulled from a container registry and nothing is installed on the host. The image carries a label with a hash of
 * everything it is built from, so a matching image is reused instead of rebuilt.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { docker, dockerResult } from "./docker-engine";

/** The repository root. */
export const ROOT = path.join(__dirname, "..", "..", "..");

/** Label holding the hash of a stand-in's inputs. */
export const STANDIN_HASH_LABEL = "emf-fargate.standin-hash";

/** Repository of stand-in images; the tag is the Node.js major. */
export const STANDIN_REPOSITORY = "emf-fargate-node-standin";

/** Where downloaded tarballs are kept between runs. */
const CACHE_DIR = path.join(tmpdir(), "emf-fargate-standin-cache");

/** The official image's entrypoint: runs `node` when the command is not an executable. */
const ENTRYPOINT = `#!/bin/sh
set -e

if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
`;

/** The base image named by the Dockerfile's `ARG NODE_IMAGE` default. */
export interface NodeBaseImage {
  /** The reference, e.g. `node:24.11.1-bookworm-slim`. */
  readonly image: string;
  /** The Node.js version the tag pins (`24.11.1`), or just the major (`24`) when it pins no more. */
  readonly version: string;
  /** The Node.js major, e.g. 24. */
  readonly major: number;
}

/**
 * Reads the default of `ARG NODE_IMAGE` from a Dockerfile.
 *
 * @param dockerfile - path of the Dockerfile. @default the repository's Dockerfile
 * @throws Error when there is no such ARG or its tag does not start with a Node.js version
 */
export function dockerfileNodeImage(dockerfile = path.join(ROOT, "Dockerfile")): NodeBaseImage {
  const text = readFileSync(dockerfile, "utf8");
  const arg = /^ARG\s+NODE_IMAGE=(\S+)\s*$/m.exec(text);
  if (!arg?.[1]) throw new Error(`${dockerfile}: no "ARG NODE_IMAGE=<image>" with a default`);
  const image = arg[1];
  const tag = /^(?:[^/]+\/)*node:(\d+)((?:\.\d+){2})?(?:[-@]|$)/.exec(image);
  if (!tag?.[1])
    throw new Error(
      `${dockerfile}: NODE_IMAGE default ${image} is not node:<major>[.<minor>.<patch>][-variant]`,
    );
  return { image, version: `${tag[1]}${tag[2] ?? ""}`, major: Number(tag[1]) };
}

/** Options of {@link ensureStandinImage}. */
export interface StandinOptions {
  /** Progress messages. @default - none */
  readonly log?: (message: string) => void;
}

/** A stand-in image ready to use. */
export interface StandinImage {
  /** Its tag, e.g. `emf-fargate-node-standin:24`. */
  readonly tag: string;
  /** The exact Node.js version inside. */
  readonly nodeVersion: string;
  /** The npm version inside. */
  readonly npmVersion: string;
  /** Hash of its inputs (also its label). */
  readonly hash: string;
  /** Whether it was built now rather than reused. */
  readonly built: boolean;
}

function npm(args: readonly string[], cwd: string): string {
  return execFileSync("npm", [...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
    env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: "false" },
  }).trim();
}

/** `npm pack <spec>` into the cache, once per exact version. */
function packed(name: string, version: string): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `${name}-${version}.tgz`);
  if (existsSync(file)) return file;
  const scratch = mkdtempSync(path.join(CACHE_DIR, "pack-"));
  try {
    const [result] = JSON.parse(
      npm(["pack", `${name}@${version}`, "--json", "--pack-destination", scratch], scratch),
    ) as {
      filename: string;
    }[];
    if (!result) throw new Error(`npm pack ${name}@${version} reported no file`);
    // Renamed into place so an interrupted download never looks complete.
    copyFileSync(path.join(scratch, path.basename(result.filename)), `${file}.partial`);
    renameSync(`${file}.partial`, file);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return file;
}

/** The exact version of `name` a spec resolves to (the highest when it is a range such as `24`). */
function resolveVersion(name: string, spec: string): string {
  if (/^\d+\.\d+\.\d+$/.test(spec)) return spec;
  const versions = JSON.parse(npm(["view", `${name}@${spec}`, "version", "--json"], tmpdir())) as
    | string
    | string[];
  const numeric = (version: string) => version.split(".").map(Number);
  const list = (Array.isArray(versions) ? versions : [versions]).sort((a, b) => {
    const [x, y] = [numeric(a), numeric(b)];
    return (x[0] ?? 0) - (y[0] ?? 0) || (x[1] ?? 0) - (y[1] ?? 0) || (x[2] ?? 0) - (y[2] ?? 0);
  });
  const highest = list.at(-1);
  if (!highest) throw new Error(`npm view ${name}@${spec}: no version`);
  return highest;
}

/** Shared libraries a dynamically linked binary needs, as `ldd` resolves them on this host. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  const libraries: string[] = [];
  for (const line of out.split("\n")) {
    const resolved = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (resolved?.[1]) libraries.push(resolved[1]);
  }
  if (libraries.length === 0) throw new Error(`ldd ${binary} listed no libraries:\n${out}`);
  return libraries;
}

/** Copies a host file (following symlinks) to the same absolute path under `rootfs`. */
function copyIn(rootfs: string, hostPath: string, targetPath = hostPath, mode?: number): void {
  const target = path.join(rootfs, targetPath);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(realpathSync(hostPath), target);
  if (mode !== undefined) chmodSync(target, mode);
}

function write(rootfs: string, targetPath: string, content: string, mode = 0o644): void {
  const target = path.join(rootfs, targetPath);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

/** Hash of a directory tree: paths, modes, symlink targets and contents. */
function hashTree(dir: string, hash = createHash("sha256"), relative = ""): ReturnType<typeof createHash> {
  for (const name of readdirSync(path.join(dir, relative)).sort()) {
    const entry = path.join(relative, name);
    const stat = lstatSync(path.join(dir, entry));
    hash.update(`${entry}\0${stat.mode}\0`);
    if (stat.isSymbolicLink()) hash.update(readlinkSync(path.join(dir, entry)));
    else if (stat.isDirectory()) hashTree(dir, hash, entry);
    else hash.update(readFileSync(path.join(dir, entry)));
    hash.update("\0");
  }
  return hash;
}

/**
 * The static busybox of Debian's busybox-static package, fetched with `apt-get download` (nothing is
 * installed on the host) and kept in the cache.
 */
function staticBusybox(): string {
  const binary = path.join(CACHE_DIR, "busybox");
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE_DIR, { recursive: true });
  const scratch = mkdtempSync(path.join(CACHE_DIR, "busybox-"));
  try {
    const download = () =>
      execFileSync("apt-get", ["download", "-qq", "busybox-static"], {
        cwd: scratch,
        stdio: "pipe",
        timeout: 300_000,
      });
    try {
      download();
    } catch {
      // Package lists missing or stale on a fresh machine: refresh them once and retry.
      execFileSync("apt-get", ["update", "-qq"], { stdio: "pipe", timeout: 300_000 });
      download();
    }
    const deb = readdirSync(scratch).find((name) => name.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download busybox-static produced no .deb");
    execFileSync("dpkg-deb", ["-x", path.join(scratch, deb), path.join(scratch, "root")]);
    copyFileSync(path.join(scratch, "root/bin/busybox"), `${binary}.partial`);
    chmodSync(`${binary}.partial`, 0o755);
    renameSync(`${binary}.partial`, binary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

/** Lays out the build context: `rootfs/` (owned by root in the image), `home/` (owned by 1000) and a Dockerfile. */
function assembleContext(
  context: string,
  nodeTarball: string,
  npmTarball: string,
  busybox: string,
  nodeVersion: string,
): void {
  const rootfs = path.join(context, "rootfs");
  mkdirSync(path.join(rootfs, "usr/local/bin"), { recursive: true });
  execFileSync("tar", [
    "-xzf",
    nodeTarball,
    "-C",
    path.join(rootfs, "usr/local/bin"),
    "--strip-components=2",
    "package/bin/node",
  ]);
  const node = path.join(rootfs, "usr/local/bin/node");
  chmodSync(node, 0o755);

  const npmDir = path.join(rootfs, "usr/local/lib/node_modules/npm");
  mkdirSync(npmDir, { recursive: true });
  execFileSync("tar", ["-xzf", npmTarball, "-C", npmDir, "--strip-components=1", "--no-same-owner"]);
  symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", path.join(rootfs, "usr/local/bin/npm"));
  symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", path.join(rootfs, "usr/local/bin/npx"));

  copyIn(rootfs, busybox, "/bin/busybox", 0o755);
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets)
    if (applet !== "busybox") symlinkSync("busybox", path.join(rootfs, "bin", applet));
  mkdirSync(path.join(rootfs, "usr/bin"), { recursive: true });
  symlinkSync("/bin/busybox", path.join(rootfs, "usr/bin/env"));
  for (const library of sharedLibraries(node)) copyIn(rootfs, library, library, 0o755);

  write(rootfs, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n");
  write(rootfs, "/etc/group", "root:x:0:\nnode:x:1000:\n");
  write(rootfs, "/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n");
  write(rootfs, "/usr/local/bin/docker-entrypoint.sh", ENTRYPOINT, 0o755);
  mkdirSync(path.join(rootfs, "tmp"));
  chmodSync(path.join(rootfs, "tmp"), 0o1777);
  mkdirSync(path.join(rootfs, "root"), { mode: 0o700 });
  mkdirSync(path.join(context, "home/node"), { recursive: true });

  const env_: string[] = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `NODE_VERSION=${nodeVersion}`,
  ];
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCa && existsSync(extraCa)) {
    copyIn(rootfs, extraCa, "/etc/ssl/certs/host-extra-ca.pem", 0o644);
    env_.push("NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-extra-ca.pem");
  }
  writeFileSync(
    path.join(context, "Dockerfile"),
    [
      "FROM scratch",
      "COPY rootfs/ /",
      "COPY --chown=1000:1000 home/ /home/",
      `ENV ${env_.join(" ")}`,
      'ENTRYPOINT ["docker-entrypoint.sh"]',
      'CMD ["node"]',
      "",
    ].join("\n"),
  );
}

/**
 * Builds the stand-in for `base`, or reuses the image already tagged for it when its inputs are the
 * same (same hash label).
 *
 * @param base - the Dockerfile's base image (see {@link dockerfileNodeImage})
 * @param options - progress messages
 */
export async function ensureStandinImage(
  base: NodeBaseImage,
  options: StandinOptions = {},
): Promise<StandinImage> {
  const log = options.log ?? (() => undefined);
  const arch = process.arch === "x64" || process.arch === "arm64" ? process.arch : undefined;
  if (!arch) throw new Error(`no node-linux-* package for ${process.arch}`);
  const nodeVersion = resolveVersion(`node-linux-${arch}`, base.version);
  const npmVersion = npm(["--version"], tmpdir());
  const nodeTarball = packed(`node-linux-${arch}`, nodeVersion);
  const npmTarball = packed("npm", npmVersion);
  const tag = `${STANDIN_REPOSITORY}:${base.major}`;

  const context = mkdtempSync(path.join(tmpdir(), "node-standin-"));
  try {
    assembleContext(context, nodeTarball, npmTarball, staticBusybox(), nodeVersion);
    const hash = hashTree(context).digest("hex").slice(0, 16);
    const existing = await dockerResult([
      "image",
      "inspect",
      "--format",
      `{{index .Config.Labels "${STANDIN_HASH_LABEL}"}}`,
      tag,
    ]);
    if (existing.exitCode === 0 && existing.stdout.trim() === hash) {
      log(`reusing ${tag} (node ${nodeVersion}, npm ${npmVersion}, ${hash})`);
      return { tag, nodeVersion, npmVersion, hash, built: false };
    }
    log(`building ${tag} (node ${nodeVersion}, npm ${npmVersion}, ${hash})`);
    await docker(
      ["build", "--network", "host", "--label", `${STANDIN_HASH_LABEL}=${hash}`, "-t", tag, context],
      {
        timeoutMs: 600_000,
      },
    );
    return { tag, nodeVersion, npmVersion, hash, built: true };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
