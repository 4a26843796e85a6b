#!/usr/bin/env node
// The layer rule of docs/architecture.md, checked: a module imports only from its own floor or
// the floors below it; nothing imports tests; only the front ends print; the use cases (lib/app,
// but its Hardhat adapter) never load Hardhat, directly or through what they import.
// Reads the import statements of every TypeScript file; exits 1 and lists each breach.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";

const root = process.cwd();

// Bottom to top. A file belongs to the first room whose prefix matches its path.
const FLOORS = [
  { floor: 1, rooms: ["lib/errors.ts", "lib/crypto/", "lib/chain/"] },
  // lib/reasons.ts is the reason-code vocabulary of tickets.
  { floor: 2, rooms: ["lib/ticket/", "lib/reasons.ts"] },
  { floor: 3, rooms: ["lib/iso20022/", "lib/matching/"] },
  { floor: 4, rooms: ["lib/store/"] },
  { floor: 5, rooms: ["lib/delivery/"] },
  { floor: 6, rooms: ["lib/app/"] },
  // Front ends, and the shared harness that starts nodes and processes for tests and scripts.
  {
    floor: 7,
    rooms: ["tasks/", "lib/cli/", "web/", "scripts/", "lib/testing/", "hardhat.config.ts"],
  },
  { floor: 8, rooms: ["test/"] },
];

// Hardhat's packages: only front ends, tests, Ignition modules, the app's adapter and the two
// chain modules that read Hardhat's configuration variables and drive Ignition may load them.
const HARDHAT = /^(hardhat)(\/|$)|^@nomicfoundation\//;
const HARDHAT_ALLOWED = ["lib/app/hardhat.ts", "lib/chain/node.ts", "lib/chain/deployment.ts"];
// Terminal rendering packages and printing: front ends only.
const TERMINAL = /^(cli-table3|picocolors|ora|cli-progress)(\/|$)/;
const PRINTS = /\b(console\.(log|info|warn|error)|process\.(stdout|stderr)\.write)\b/;

function floorOf(file) {
  for (const { floor, rooms } of FLOORS) {
    if (rooms.some((room) => (room.endsWith("/") ? file.startsWith(room) : file === room)))
      return floor;
  }
  return undefined;
}

function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(join(root, dir));
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = dir === "" ? name : `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) walk(path, out);
    else if (/\.(ts|mts|mjs)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const files = ["lib", "tasks", "scripts", "web", "test", "ignition"]
  .flatMap((d) => walk(d))
  .concat(["hardhat.config.ts"]);

/** Every import of a file: specifier, whether type-only, line. */
function importsOf(file) {
  const text = readFileSync(join(root, file), "utf8");
  const found = [];
  const re =
    /(^|\n)\s*(import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (let m; (m = re.exec(text)) !== null;) {
    const spec = m[4] ?? m[5];
    const line = text.slice(0, m.index + (m[1]?.length ?? 0)).split("\n").length;
    found.push({ spec, typeOnly: m[3] !== undefined, line });
  }
  return { text, found };
}

const resolveLocal = (file, spec) =>
  normalize(join(dirname(file), spec))
    .split(sep)
    .join("/")
    .replace(/\.js$/, ".ts");

const breaches = [];
const graph = new Map();
for (const file of files) {
  const floor = floorOf(file);
  const { text, found } = importsOf(file);
  const runtime = [];
  for (const { spec, typeOnly, line } of found) {
    const at = `${file}:${line}`;
    if (spec.startsWith(".")) {
      const target = resolveLocal(file, spec);
      if (target.startsWith("test/") && !file.startsWith("test/")) {
        breaches.push(
          `${at} imports the test suite (${target}); shared harness lives in lib/testing/`,
        );
        continue;
      }
      const targetFloor = floorOf(target);
      if (floor !== undefined && targetFloor !== undefined && targetFloor > floor) {
        breaches.push(
          `${at} (floor ${floor}) imports ${target} from floor ${targetFloor} above it`,
        );
      }
      if (!typeOnly) runtime.push(target);
    } else if (HARDHAT.test(spec)) {
      if (!typeOnly) runtime.push(`pkg:hardhat`);
      const allowed =
        floor === undefined ||
        floor >= 7 ||
        HARDHAT_ALLOWED.includes(file) ||
        file.startsWith("ignition/");
      if (!allowed)
        breaches.push(
          `${at} imports ${spec}: Hardhat belongs to the front ends and lib/app/hardhat.ts`,
        );
    } else if (TERMINAL.test(spec) && floor !== undefined && floor < 7) {
      breaches.push(`${at} imports ${spec}: only front ends render for a terminal`);
    }
  }
  if (floor !== undefined && floor < 7) {
    text.split("\n").forEach((l, i) => {
      if (PRINTS.test(l) && !l.trim().startsWith("//") && !l.trim().startsWith("*"))
        breaches.push(
          `${file}:${i + 1} prints: only front ends print; return a result or an error`,
        );
    });
  }
  graph.set(file, runtime);
}

// The library is plain below the front ends: nothing it loads at run time may load Hardhat.
function reachesHardhat(file, seen = new Set()) {
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const dep of graph.get(file) ?? []) {
    if (dep === "pkg:hardhat") return [file];
    const path = reachesHardhat(dep, seen);
    if (path !== undefined) return [file, ...path];
  }
  return undefined;
}
for (const file of files.filter((f) => f.startsWith("lib/") && !HARDHAT_ALLOWED.includes(f))) {
  const floor = floorOf(file);
  if (floor === undefined || floor > 6) continue;
  const path = reachesHardhat(file);
  if (path !== undefined)
    breaches.push(`${file} loads Hardhat at run time through ${path.join(" -> ")}`);
}

const unplaced = files.filter(
  (f) => (f.startsWith("lib/") || f.startsWith("web/")) && floorOf(f) === undefined,
);
for (const f of unplaced)
  breaches.push(`${f} is in no room: add it to docs/architecture.md and scripts/check-layers.mjs`);

if (breaches.length > 0) {
  console.error(`layer check: ${breaches.length} breach(es)\n  ${breaches.join("\n  ")}`);
  process.exit(1);
}
console.log(`layer check: ${files.length} files, no import runs up`);
