#!/usr/bin/env node
// Runs every test suite (Solidity unit, fuzz and invariant tests, then the TypeScript suites,
// integration against a separate anvil node included) and ends with one line that any CI can
// read: "N passed, N failed". Exits non-zero if anything failed or nothing ran.
import { spawn } from "node:child_process";
import { join } from "node:path";

const bin = join(process.cwd(), "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FORCE_COLOR: "0", NO_COLOR: "1" };
const args = ["test", ...process.argv.slice(2)];

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
  const passed = last(/^\s*(\d+) passing\b/gm);
  let failed = last(/^\s*(\d+) failing\b/gm);
  const skipped = last(/^\s*(\d+) pending\b/gm);
  if ((code !== 0 || signal !== null) && failed === 0) failed = 1; // crashed before its summary
  if (passed === 0 && failed === 0) failed = 1; // ran nothing: that is a failure too
  const tail = skipped > 0 ? `, ${skipped} skipped` : "";
  console.log(`\n${passed} passed, ${failed} failed${tail}`);
  process.exit(failed > 0 ? 1 : 0);
});
