/**
 * Running the role tasks the way a user does: `hardhat --network privnet <task> ...` as a
 * subprocess with configuration variables in its environment, against a separate anvil node.
 * Where a subprocess adds nothing, the same task runs in this process on a `privnet` runtime
 * environment of its own, with the same environment and the same captured output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import hre from "hardhat";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import userConfig from "../../hardhat.config.js";
import { taskMode } from "../../lib/cli/output.js";
import { DEV_ACCOUNTS, rpc } from "../../lib/testing/anvil.js";
import { ENVELOPE_DATABASE, nodeSqlite } from "../../lib/store/sqlite.js";
import { stopByPid } from "../../lib/testing/process.js";
import type { Notice } from "../../lib/app/watch.js";

export const ROOT = hre.config.paths.root;
const BIN = path.join(ROOT, "node_modules", ".bin");
export const EXAMPLE = path.join(ROOT, "examples", "dvp-japanese-equity-buy.json");

/** The five parties of the mission and their dev accounts (1–5: zero balance, free gas). */
export const PARTIES = {
  "asset-manager": DEV_ACCOUNTS[1],
  "custodian-bank": DEV_ACCOUNTS[2],
  "securities-firm": DEV_ACCOUNTS[3],
  csd: DEV_ACCOUNTS[4],
  outsider: DEV_ACCOUNTS[5],
} as const;
export type PartyName = keyof typeof PARTIES;
export const ROUTE = "custodian-bank,securities-firm,csd";

export const keyVariable = (name: string) =>
  `SR_PRIVNET_KEY_${name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;

/** The environment of the `privnet` network: endpoints, admin key and every party's key. */
export function privnetEnv(urls: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {
    SR_PRIVNET_RPC_URL: urls[0],
    SR_PRIVNET_ADMIN_KEY: DEV_ACCOUNTS[0].privateKey,
  };
  if (urls.length > 1) env.SR_PRIVNET_RPC_URLS = urls.join(",");
  for (const [name, account] of Object.entries(PARTIES))
    env[keyVariable(name)] = account.privateKey;
  return env;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Task options as an object: camelCase names, `true` for a flag, omitted when undefined. */
export type TaskOptions = Record<string, string | number | boolean | undefined>;

function toArgv(options: TaskOptions): string[] {
  const argv: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || value === false) continue;
    argv.push(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (value !== true) argv.push(String(value));
  }
  return argv;
}

/** The environment of a subprocess: ours without any SR_ variable, plus `env`. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SR_")) base[k] = v;
  const merged: NodeJS.ProcessEnv = {
    ...base,
    PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}`,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
});

/** A long-running CLI process (e.g. `ticket:watch`), its output so far, and a way to stop it. */
export interface Running {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number>;
  /** SIGTERM by PID (SIGKILL if it lingers); resolves with the exit code. Idempotent. */
  stop(): Promise<number>;
}

export function startCli(
  task: string,
  options: TaskOptions,
  env: Record<string, string | undefined>,
): Running {
  const child = spawn(
    path.join(BIN, "hardhat"),
    ["--network", "privnet", task, ...toArgv(options)],
    { cwd: ROOT, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve) => {
    child.once("close", (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal === null ? 1 : 128));
    });
    child.once("error", (error) => {
      stderr += String(error);
      children.delete(child);
      resolve(127);
    });
  });
  return {
    pid: child.pid ?? -1,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: () => stopByPid(child, exited, 10_000),
  };
}

/** Runs `hardhat --network privnet <task> <options>` to completion. */
export async function cli(
  task: string,
  options: TaskOptions,
  env: Record<string, string | undefined>,
): Promise<RunResult> {
  const running = startCli(task, options, env);
  const code = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

const runtimes = new Map<string, Promise<HardhatRuntimeEnvironment>>();

/**
 * A runtime environment of this project on the `privnet` network, as `--network privnet` makes,
 * one per environment: Hardhat keeps the configuration variables it resolved (the URL...).
 */
export function privnetRuntime(
  env: Record<string, string | undefined>,
): Promise<HardhatRuntimeEnvironment> {
  const key = JSON.stringify(Object.entries(env).sort());
  let runtime = runtimes.get(key);
  if (runtime === undefined) {
    runtime = createHardhatRuntimeEnvironment(
      userConfig,
      { network: "privnet", config: path.join(ROOT, "hardhat.config.ts") },
      ROOT,
    );
    runtimes.set(key, runtime);
  }
  return runtime;
}

let inProcessQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs a task in this process, with `env` as the environment and stdout/stderr captured: the
 * same result as {@link cli} (the task prints its one error line and sets the exit code).
 */
export function inProcess(
  task: string,
  options: TaskOptions,
  env: Record<string, string | undefined>,
): Promise<RunResult> {
  const run = async (): Promise<RunResult> => {
    const runtime = await privnetRuntime(env);
    const saved = new Map<string, string | undefined>();
    for (const [k, v] of Object.entries(env)) {
      saved.set(k, process.env[k]);
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    let stdout = "";
    let stderr = "";
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture =
      (append: (s: string) => void) =>
      (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
        const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
        done?.();
        return true;
      };
    const exitCode = process.exitCode;
    const rethrow = taskMode.rethrow;
    process.exitCode = undefined;
    taskMode.rethrow = false;
    process.stdout.write = capture((s) => (stdout += s)) as typeof process.stdout.write;
    process.stderr.write = capture((s) => (stderr += s)) as typeof process.stderr.write;
    try {
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(options)) if (v !== undefined) args[k] = v;
      await runtime.tasks.getTask(task).run(args);
      const code = Number(process.exitCode ?? 0);
      return { code, stdout, stderr };
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      process.exitCode = exitCode;
      taskMode.rethrow = rethrow;
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  // One at a time: the captured streams and the environment are process-wide.
  const result = inProcessQueue.then(run, run);
  inProcessQueue = result.catch(() => undefined);
  return result;
}

/** Parses a `--json` result, with the run's output in the message if it is not JSON. */
export function json<T = Record<string, unknown>>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `expected JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/** The JSON lines `ticket:watch --json` printed. */
export function notices(stdout: string): Array<Omit<Notice, "event">> {
  return stdout
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l));
}

/** A summary of a finished run for assertion messages. */
export const show = (r: RunResult) =>
  `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A fresh temporary folder (removed by the caller). */
export const tempDir = (prefix: string) => mkdtemp(path.join(tmpdir(), `sr-${prefix}-`));

/** A copy of the valid example ticket with `changes` applied, written to `dir`. */
export async function ticketFile(
  dir: string,
  name: string,
  changes: Record<string, unknown>,
): Promise<string> {
  const ticket = { ...JSON.parse(await readFile(EXAMPLE, "utf8")), ...changes };
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(ticket, null, 2));
  return file;
}

/**
 * The write-ahead state of a data folder: every envelope in the store, the create journals and
 * the transaction journal, as relative path → content hash. Equal before and after a failed
 * command means it wrote nothing half-way.
 */
/** A digest of the store's entries (locators and bytes, in locator order). */
function storeDigest(file: string): string {
  const db = new (nodeSqlite().DatabaseSync)(file, { readOnly: true });
  try {
    const hash = createHash("sha256");
    for (const r of db.prepare("SELECT locator, bytes FROM envelope ORDER BY locator").all() as {
      locator: Uint8Array;
      bytes: Uint8Array;
    }[]) {
      hash.update(r.locator).update(r.bytes);
    }
    return hash.digest("hex");
  } finally {
    db.close();
  }
}

export async function writeAheadState(dataDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        const rel = path.relative(dataDir, full);
        const parts = rel.split(path.sep);
        // SQLite's -wal and -shm files come and go with its connections: the store empties the
        // log after each write, so its entries are all in the database file, compared by content.
        if (/-(wal|shm)$/.test(e.name)) continue;
        if (parts[0] === "store" && e.name === ENVELOPE_DATABASE) {
          out[rel] = storeDigest(full);
        } else if (parts[0] === "store" || parts[0] === "journal" || parts.includes("creating")) {
          out[rel] = createHash("sha256")
            .update(await readFile(full))
            .digest("hex");
        }
      }
    }
  };
  await walk(dataDir);
  return out;
}

/** Copies a prepared data folder, so that each command works on its own copy. */
export async function copyDataDir(from: string, to: string): Promise<string> {
  await cp(from, to, { recursive: true });
  return to;
}

export const removeDir = (dir: string | undefined) =>
  dir === undefined ? Promise.resolve() : rm(dir, { recursive: true, force: true });

/** The number of transactions `address` has sent on the node. */
export async function nonceOf(url: string, address: string): Promise<number> {
  return Number(await rpc(url, "eth_getTransactionCount", [address, "latest"]));
}

/** Waits until `check` returns a value (not undefined), polling; fails after `limitMs`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  limitMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `jobs` with at most `limit` at a time; resolves each in order. */
export function limited<T>(limit: number, jobs: Array<() => Promise<T>>): Array<Promise<T>> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const slot = async <R>(job: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  return jobs.map((job) => slot(job));
}

/** How a step runs: a real CLI subprocess, or the same task in this process. */
export type Via = "cli" | "task";

/** One data folder and one registry on one node, with the environment of the `privnet` network. */
export class Session {
  constructor(
    readonly env: Record<string, string | undefined>,
    readonly dataDir: string,
    readonly registry: string,
  ) {}

  run(task: string, options: TaskOptions = {}, via: Via = "cli"): Promise<RunResult> {
    const all = { dataDir: this.dataDir, registry: this.registry, ...options };
    return via === "cli" ? cli(task, all, this.env) : inProcess(task, all, this.env);
  }

  /** Runs a step that must succeed; with `json`, returns its parsed result. */
  async ok<T = Record<string, unknown>>(
    task: string,
    options: TaskOptions = {},
    via: Via = "cli",
  ): Promise<{ result: RunResult; value: T }> {
    const result = await this.run(task, options, via);
    if (result.code !== 0 || result.stderr.trim() !== "") {
      throw new Error(`${task} failed: ${show(result)}`);
    }
    const parse = options.json === true && task !== "ticket:watch";
    return { result, value: parse ? json<T>(result) : (undefined as T) };
  }

  /** The consortium admin admits the five parties; each registers its encryption key. */
  async setUpParties(via: Via = "task"): Promise<void> {
    for (const [name, account] of Object.entries(PARTIES))
      await this.ok("party:admit", { address: account.address, name }, via);
    for (const name of Object.keys(PARTIES)) await this.ok("party:register-key", { as: name }, via);
  }
}
