#!/usr/bin/env node
// Runs every test suite (Solidity unit, fuzz and invariant tests, then the TypeScript suites,
// integration against a separate anvil node and against real Geth nodes included) and ends with
// one line that any CI can read: "N passed, N failed". Exits non-zero if anything failed or
// nothing ran.
//
// The Geth suites need the two pinned Geth releases, built from the Go module proxy on first use
// (scripts/geth.mjs, cached in .cache/geth). Without Go, or if the build fails, they are skipped
// with one line saying why, except under CI=true, where that is a failure.
import { spawn } from "node:child_process";
import { join } from "node:path";

import { ensureGeth } from "./geth.mjs";

const bin = join(process.cwd(), "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FORCE_COLOR: "0", NO_COLOR: "1" };
const args = ["test", ...process.argv.slice(2)];

// Build Geth unless the run names only files and folders other than the Geth suites.
const paths = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const wantsGeth =
  paths.length === 0 || paths.some((p) => p === "mocha" || p.includes("geth") || p === "test");
if (wantsGeth) {
  try {
    await ensureGeth((line) => console.log(line));
    env.SR_GETH_SKIP = "";
  } catch (error) {
    const why =
      error.code === "NO_GO"
        ? "no Go toolchain on PATH (install Go 1.23 or later to run them)"
        : `Geth did not build: ${error.message.split("\n").slice(-1)[0]}`;
    if (process.env.CI === "true") {
      console.error(`error: the Geth suites cannot run under CI: ${why}`);
      if (error.code !== "NO_GO") console.error(error.message);
      console.log("\n0 passed, 1 failed");
      process.exit(1);
    }
    console.log(`skipping the Geth suites: ${why}`);
    env.SR_GETH_SKIP = why;
  }
}

const child = spawn(join(bin, "hardhat"), args, { env, stdio: ["ignore", "pipe", "pipe"] });
let output = "";
for (const stream of [child.stdout, child.stderr]) {
  stream.on("data", (chunk) => {
    output += chunk;
    (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
  });
}

child.on("close", (code, signal) => {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const last = (re) => {
    const all = [...plain.matchAll(re)];
    return all.length === 0 ? 0 : Number(all[all.length - 1][1]);
  };
  // Hardhat prints one summary per runner and, when several ran, an overall one last.
  let failed = last(/^\s*(\d+) failing\b/gm);
  const skipped = last(/^\s*(\d+) pending\b/gm);
  // The overall summary ("N passing (x solidity, y mocha)") counts skipped tests as passing.
  const overall = [...plain.matchAll(/^\s*(\d+) passing\b(.*)$/gm)].at(-1);
  const passed =
    overall === undefined
      ? 0
      : Number(overall[1]) - (/\((.*)(mocha|solidity)\)/.test(overall[2]) ? skipped : 0);
  if ((code !== 0 || signal !== null) && failed === 0) failed = 1; // crashed before its summary
  if (passed === 0 && failed === 0) failed = 1; // ran nothing: that is a failure too
  const tail = skipped > 0 ? `, ${skipped} skipped` : "";
  console.log(`\n${passed} passed, ${failed} failed${tail}`);
  process.exit(failed > 0 ? 1 : 0);
});
