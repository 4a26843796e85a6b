#!/usr/bin/env node
// Builds the two pinned Geth releases the test suites run (chains/geth-versions.json) from the Go
// module proxy with `go install`, into .cache/geth/<version>/geth, and reuses a cached binary that
// reports the right version. Used by scripts/test.mjs and by the test harness; by hand:
//
//   node scripts/geth.mjs            build what is missing, one line per version
//   node scripts/geth.mjs --json     the same, then {"clique": path, "dev": path} on stdout
//
// Exit code 0 when both binaries are there, 2 when Go is missing, 1 when a build failed.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where binaries are kept (SR_GETH_CACHE moves it, e.g. to measure a cold build). */
export const CACHE = resolve(process.env.SR_GETH_CACHE ?? join(ROOT, ".cache", "geth"));
export const VERSIONS = JSON.parse(
  readFileSync(join(ROOT, "chains", "geth-versions.json"), "utf8"),
);
const MODULE = "github.com/ethereum/go-ethereum/cmd/geth";

/** The path a version's binary is cached at. */
export const gethPath = (version) => join(CACHE, version, "geth");

/** The Go toolchain's version (e.g. [1, 26]), or undefined when there is no `go` on PATH. */
export function goVersion() {
  try {
    const out = execFileSync("go", ["env", "GOVERSION"], {
      encoding: "utf8",
      env: { ...process.env, GOTOOLCHAIN: "local" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const match = /go(\d+)\.(\d+)/.exec(out);
    return match === null ? undefined : [Number(match[1]), Number(match[2])];
  } catch {
    return undefined;
  }
}

/** Whether the binary at `path` runs and reports `version` (v1.13.15 → "1.13.15-stable"). */
function reports(path, version) {
  if (!existsSync(path)) return false;
  try {
    const out = execFileSync(path, ["version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.includes(`Version: ${version.slice(1)}-`);
  } catch {
    return false;
  }
}

/**
 * Linker flags for `version` under Go `go`. Geth up to 1.14.x depends on github.com/fjl/memsize,
 * which reaches into the runtime with `//go:linkname runtime.stopTheWorld`; Go 1.23+ refuses that
 * pull-only linkname at link time ("invalid reference to runtime.stopTheWorld") unless the check
 * is switched off. The flag only disables that check; nothing else in the binary changes.
 */
export function ldflagsFor(version, go) {
  const [major, minor] = version.slice(1).split(".").map(Number);
  const newGo = go[0] > 1 || go[1] >= 23;
  return newGo && major === 1 && minor < 15 ? ["-ldflags=-checklinkname=0"] : [];
}

function run(cmd, args, env) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], cwd: CACHE });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.on("error", (error) => resolvePromise({ code: 127, output: String(error) }));
    child.on("close", (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

/**
 * Builds `version` unless a good binary is cached. Resolves with { path, seconds, cached } or
 * throws an Error whose message holds the last lines of Go's output.
 */
export async function buildGeth(version, go) {
  const path = gethPath(version);
  if (reports(path, version)) return { path, seconds: 0, cached: true };
  mkdirSync(CACHE, { recursive: true });
  const tmp = join(CACHE, `.${version}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const flags = ldflagsFor(version, go);
  const env = {
    ...process.env,
    GOBIN: tmp,
    // Never fetch another Go toolchain: build with the machine's Go or fail.
    GOTOOLCHAIN: "local",
    // `go install pkg@version` builds the module's own go.mod (no replace directives); the
    // repository is not a Go module, so no -mod flag applies. No VCS stamping: not a checkout.
    GOFLAGS: "-buildvcs=false",
  };
  const started = Date.now();
  const { code, output } = await run("go", ["install", ...flags, `${MODULE}@${version}`], env);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (code !== 0 || !existsSync(join(tmp, "geth"))) {
    rmSync(tmp, { recursive: true, force: true });
    const tail = output.trim().split("\n").slice(-6).join("\n");
    throw new Error(`go install ${flags.join(" ")} ${MODULE}@${version} failed:\n${tail}`);
  }
  mkdirSync(dirname(path), { recursive: true });
  renameSync(join(tmp, "geth"), path);
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(
    join(dirname(path), "build.json"),
    `${JSON.stringify({ version, go: go.join("."), flags, seconds }, null, 2)}\n`,
  );
  return { path, seconds, cached: false };
}

/** Builds both pinned versions (one after the other: they share Go's build cache). */
export async function ensureGeth(log = (line) => console.error(line)) {
  const go = goVersion();
  if (go === undefined) {
    const error = new Error("no Go toolchain on PATH (`go` not found)");
    error.code = "NO_GO";
    throw error;
  }
  const paths = {};
  for (const [role, version] of Object.entries(VERSIONS)) {
    if (!reports(gethPath(version), version)) {
      log(`building geth ${version} (${role}) with Go ${go.join(".")} from the module proxy...`);
    }
    const built = await buildGeth(version, go);
    if (!built.cached) log(`built geth ${version} in ${built.seconds} s`);
    paths[role] = built.path;
  }
  return paths;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureGeth().then(
    (paths) => {
      if (process.argv.includes("--json")) console.log(JSON.stringify(paths));
      else for (const [role, path] of Object.entries(paths)) console.error(`geth ${role}: ${path}`);
    },
    (error) => {
      console.error(`error: ${error.message}`);
      process.exit(error.code === "NO_GO" ? 2 : 1);
    },
  );
}
