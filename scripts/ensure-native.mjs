#!/usr/bin/env node
// Installs the platform binaries that npm skips when it runs under a Node.js older than the
// packages' `engines` (npm on Node 20 silently drops Hardhat's EDR engine, which wants Node 22).
// Runs as `postinstall`, under the Node 22 that the `node` dev dependency puts first on PATH.
// It fetches only from the configured npm registry and checks the lockfile's integrity hash.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const root = process.cwd();

function libcSuffix() {
  if (process.platform !== "linux") return "";
  try {
    return readFileSync("/usr/bin/ldd", "utf8").includes("musl") ? "-musl" : "-gnu";
  } catch {
    const report = process.report?.getReport();
    return report?.header?.glibcVersionRuntime ? "-gnu" : "-musl";
  }
}

function platformPackage(host, optional) {
  const stem = `${host}-${process.platform}-${process.arch}`;
  const candidates = [stem + libcSuffix(), stem, `${stem}-msvc`];
  return candidates.find((name) => name in optional);
}

function lockIntegrity(name) {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  return lock.packages?.[`node_modules/${name}`]?.integrity;
}

function ensure(host) {
  const hostDir = join(root, "node_modules", host);
  if (!existsSync(hostDir)) return;
  const manifest = JSON.parse(readFileSync(join(hostDir, "package.json"), "utf8"));
  const optional = manifest.optionalDependencies ?? {};
  const name = platformPackage(host, optional);
  if (name === undefined) {
    console.warn(
      `ensure-native: no prebuilt ${host} binary for ${process.platform}-${process.arch}`,
    );
    return;
  }
  const target = join(root, "node_modules", name);
  if (existsSync(join(target, "package.json"))) return;

  const version = optional[name];
  const npm = process.env.npm_execpath;
  const work = mkdtempSync(join(tmpdir(), "ensure-native-"));
  try {
    const args = ["pack", `${name}@${version}`, "--json", "--pack-destination", work];
    const out = npm
      ? execFileSync(process.execPath, [npm, ...args], { encoding: "utf8" })
      : execFileSync("npm", args, { encoding: "utf8", shell: process.platform === "win32" });
    const [packed] = JSON.parse(out);
    const expected = lockIntegrity(name);
    if (expected !== undefined && packed.integrity !== expected) {
      throw new Error(
        `${name}@${version}: integrity ${packed.integrity} differs from package-lock.json`,
      );
    }
    const tarball = join(
      work,
      readdirSync(work).find((f) => f.endsWith(".tgz")),
    );
    mkdirSync(target, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
    console.log(`ensure-native: installed ${name}@${version}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

ensure("@nomicfoundation/edr");
// Fail loudly here rather than later inside Hardhat with HHE27.
require("@nomicfoundation/edr");
